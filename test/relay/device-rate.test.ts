import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../server/limits';
import { registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
const relays: RunningRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

/** Frames a client gets until it holds `count` device replies (frames with a payload); acks are skipped. */
async function repliesOf(client: WsProbe, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const frame = await client.next(5000);
    expect(frame.error).toBeUndefined();
    if (typeof frame.payload === 'string') ids.push(String(open(deviceToken, frame).request_id));
  }
  return ids;
}

describe('device sockets are not rate-limited like clients (C3, F14)', () => {
  it('a device answering 100 commands in bursts above the client burst: every reply reaches its own sender, no RATE_LIMITED frame', async () => {
    const relay = await startRelay();
    relays.push(relay);
    const user = await registerUser(relay.http);
    const id = 'WLB0257';
    await registerDevice(relay.http, user.token, id);
    const device = await connectDevice(relay.ws, id, user.token);
    expect(device.welcome.type).toBe('welcome');
    const clients = await Promise.all([0, 1, 2, 3].map(async (n) => (await connectClient(relay.ws, `burst-client-${n}`, user.token)).probe));
    // Two rounds (60 + 40 = 100), each under the in-flight bound but above the per-socket burst.
    const rounds = [60, 40];
    expect(rounds[0]!).toBeGreaterThan(LIMITS.wsMessageBurst);
    let sent = 0;
    for (const size of rounds) {
      const expected = new Map<WsProbe, string[]>(clients.map((c) => [c, []]));
      for (let i = 0; i < size; i++) {
        const client = clients[i % clients.length]!;
        const requestId = `c${i % clients.length}-r${sent + i}`;
        expected.get(client)!.push(requestId);
        client.send(commandPacket(deviceToken, id, 'ping', requestId));
      }
      sent += size;
      // The device reads every command first, then flushes all its answers at once.
      const commands: string[] = [];
      for (let i = 0; i < size; i++) commands.push(String(open(deviceToken, await device.probe.nextText(5000)).request_id));
      for (const requestId of commands) {
        device.probe.send(responsePacket(deviceToken, id, { status: 'success', result: 'pong', request_id: requestId }));
      }
      for (const client of clients) {
        const want = expected.get(client)!;
        expect((await repliesOf(client, want.length)).sort()).toEqual([...want].sort());
      }
    }
    // Nothing was sent back to the device but commands: no error frame that v1.0 firmware treats as fatal.
    expect(await device.probe.nothingFor(100)).toBe(true);
  });
});
