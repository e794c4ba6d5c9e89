/**
 * F7 for event fan-out (issue 13): one board's events go to three subscribed clients, one of which
 * stops reading. The two readers get every event, in order and promptly; the stalled one is closed
 * 1013 once its send buffer passes WS_SEND_BUFFER_BYTES, so it holds bounded memory and never holds
 * up the others. Real sockets on 127.0.0.1; the buffer cap set through its environment variable.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectBoard, connectSubscriber, expectFrame } from './helpers/routing';
import type { WsProbe } from './helpers/ws';

const EVENTS = 3000;
/** About 3 KB per event: 9 MB in all, well past what loopback kernel buffers absorb (~4 MB). */
const PAD = 'x'.repeat(3000);
const BUFFER_CAP = 256 * 1024;

let relay: RunningRelay;
let alice: TestUser;
beforeAll(async () => {
  relay = await startRelay({
    env: {
      WS_SEND_BUFFER_BYTES: String(BUFFER_CAP),
      // One board publishing at full speed: the event and device frame budgets are raised, nothing else.
      EVENTS_PER_SECOND: '1000000', EVENT_BURST: '1000000', DEVICE_MESSAGES_PER_SECOND: '1000000', DEVICE_MESSAGE_BURST: '1000000',
    },
  });
  alice = await registerUser(relay.http);
});
afterAll(async () => relay.close());

/** Collects events named `name` on a probe's socket as they arrive: their index and how long they took. */
function collect(probe: WsProbe, name: string): { indexes: number[]; latencies: number[]; done: Promise<void> } {
  const indexes: number[] = [];
  const latencies: number[] = [];
  const done = new Promise<void>((resolve) => {
    probe.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; event?: string; content: { i: number; t: number } };
      if (frame.type !== 'event' || frame.event !== name) return;
      indexes.push(frame.content.i);
      latencies.push(Date.now() - frame.content.t);
      if (indexes.length === EVENTS) resolve();
    });
  });
  return { indexes, latencies, done };
}

/** The board publishes EVENTS events named `name`; resolves with the ms until every reader had all of them. */
async function burst(board: WsProbe, readers: WsProbe[], name: string) {
  const received = readers.map((probe) => collect(probe, name));
  const started = Date.now();
  for (let i = 0; i < EVENTS; i += 1) {
    board.send({ type: 'event', event: name, content: { i, t: Date.now(), pad: PAD } });
    // The readers live in this process too: let them read between batches, as separate clients would.
    if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.race([
    Promise.all(received.map((r) => r.done)),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${name}: readers got ${received.map((r) => r.indexes.length).join(', ')} of ${EVENTS} events`)), 20_000)),
  ]);
  for (const r of received) expect(r.indexes).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
  const latencies = received.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return { ms: Date.now() - started, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

describe('event fan-out with a slow subscriber (F7)', () => {
  it('F7: 3,000 events to three subscribers, one stalled: the readers get all of them in order and promptly; the stalled one is closed 1013 at its buffer cap', async () => {
    const fast = [await connectSubscriber(relay.ws, 'fast-1', alice.token, 'boards'), await connectSubscriber(relay.ws, 'fast-2', alice.token, 'boards')];
    const slow = await connectSubscriber(relay.ws, 'slow', alice.token, 'boards');
    const board = await connectBoard(relay, alice.token, 'WLFA0001');
    for (const client of [...fast, slow]) await expectFrame(client.probe, 'presence');
    // Baseline in the same run: all three read.
    const all = await burst(board.probe, [...fast, slow].map((c) => c.probe), 'warm');
    (slow.probe.socket as unknown as { _socket: Socket })._socket.pause();
    expect(relay.app.hub.counts().clients).toBe(3);
    const stalled = await burst(board.probe, fast.map((c) => c.probe), 'load');
    console.log(`fan-out of ${EVENTS} events: all reading ${all.ms} ms (p99 ${all.p99} ms); one stalled ${stalled.ms} ms for the two readers (p99 ${stalled.p99} ms)`);
    // The readers were not held up for the stalled one, which never read a byte of this burst
    // (loose: 2 shared cores; without the bound the burst would never complete at all).
    expect(stalled.ms).toBeLessThan(all.ms * 3 + 1000);
    expect(stalled.p99).toBeLessThan(Math.max(1000, all.p99 * 5));

    // The stalled subscriber was cut off at its cap (bounded memory); the readers stay connected.
    const deadline = Date.now() + 5000;
    while (relay.app.hub.counts().clients !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(relay.app.hub.counts().clients).toBe(2);
    for (const client of fast) expect(client.probe.socket.readyState).toBe(client.probe.socket.OPEN);
    (slow.probe.socket as unknown as { _socket: Socket })._socket.resume();
    expect((await slow.probe.closed).code).toBe(1013);
    board.probe.send({ type: 'event', event: 'after', content: null });
    for (const client of fast) {
      const frame = await new Promise<any>((resolve) => client.probe.socket.on('message', (data) => {
        const parsed = JSON.parse(data.toString());
        if (parsed.event === 'after') resolve(parsed);
      }));
      expect(frame).toMatchObject({ type: 'event', event: 'after', content: null });
    }
    board.probe.close();
    fast.forEach((client) => client.probe.close());
  });
});
