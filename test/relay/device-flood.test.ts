/**
 * F8 for device sockets (issue 12 item 1): device frames are exempt from the client message limit
 * (dropping a reply would shift the in-flight FIFO), so frames that answer no command in flight
 * are bounded on their own: a small budget is handled (F14), the rest dropped unread and counted,
 * and the socket closed 1008. Another account's round trips stay fast during such a flood.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../server/limits';
import { registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
const FLOODER = fileURLToPath(new URL('./fixtures/device-flooder.mjs', import.meta.url));
let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

function flood(ws: string, deviceId: string, token: string, count: number, frame: string): Promise<{ sent: number; closeCode: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLOODER, ws, deviceId, token, String(count), frame], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(JSON.parse(out.trim())));
  });
}

/** A device of another account that answers every command at once. */
function answerEverything(device: WsProbe, deviceId: string): void {
  device.socket.on('message', (data) => {
    const requestId = open(deviceToken, data.toString()).request_id;
    device.send(responsePacket(deviceToken, deviceId, { status: 'success', result: 'pong', request_id: requestId }));
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

describe('device socket flood (F8, issue 12 item 1)', () => {
  it('20,000 unsolicited reply frames from one device: a few are kept, the rest dropped unread, the socket closed 1008; another account\'s p99 stays low', async () => {
    relay = await startRelay();
    const flooder = await registerUser(relay.http);
    const bystander = await registerUser(relay.http);
    await registerDevice(relay.http, flooder.token, 'WLF100D');
    await registerDevice(relay.http, bystander.token, 'WLCA1');
    const calm = await connectDevice(relay.ws, 'WLCA1', bystander.token);
    answerEverything(calm.probe, 'WLCA1');
    const { probe: client } = await connectClient(relay.ws, 'calm-client', bystander.token);

    const roundTrips: number[] = [];
    let stop = false;
    let n = 0;
    const measure = async () => {
      while (!stop) {
        const requestId = `calm${n++}`;
        const started = performance.now();
        client.send(commandPacket(deviceToken, 'WLCA1', 'ping', requestId));
        for (;;) {
          const frame = await client.next(10_000);
          if (typeof frame.payload === 'string' && open(deviceToken, frame).request_id === requestId) break;
        }
        roundTrips.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 60)); // under the client socket's own limit (20/s)
      }
    };
    const measuring = measure();
    await new Promise((r) => setTimeout(r, 300));
    const baseline = roundTrips.length;
    const frame = JSON.stringify(responsePacket(deviceToken, 'WLF100D', { status: 'success', result: 'pong', request_id: 'nobody-asked' }));
    const floodStarted = Date.now();
    const result = await flood(relay.ws, 'WLF100D', flooder.token, 20_000, frame);
    // At least 2 s of samples from the start of the flood, however soon the relay cut it off.
    await new Promise((r) => setTimeout(r, Math.max(300, 2000 - (Date.now() - floodStarted))));
    stop = true;
    await measuring;
    const during = roundTrips.slice(baseline);
    console.log(`item 1: flood ${JSON.stringify(result)}; other account's round trips before: n=${baseline} p99=${percentile(roundTrips.slice(0, baseline), 99).toFixed(1)} ms; ` +
      `during and after: n=${during.length} p50=${percentile(during, 50).toFixed(1)} ms p99=${percentile(during, 99).toFixed(1)} ms max=${Math.max(...during).toFixed(1)} ms`);

    expect(result.closeCode).toBe(1008);
    // Only the unsolicited budget reached the store; the rest never cost a write.
    expect(relay.app.store.countResponses(flooder.id)).toBeLessThanOrEqual(LIMITS.deviceUnsolicitedBurst);
    expect(during.length).toBeGreaterThan(10);
    // Before the bound: 2.9 s here (1.3–2.2 s in the run); a noisy shared machine stays well under 1 s.
    expect(percentile(during, 99)).toBeLessThan(1000);
    client.close();
    calm.probe.close();
  }, 60_000);

  it('replies to commands in flight are never dropped: 60 answered at once pass, then unsolicited ones beyond the budget close the socket', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLB0B');
    const device = await connectDevice(relay.ws, 'WLB0B', user.token);
    const { probe: client } = await connectClient(relay.ws, 'bursty-client', user.token);
    const ids: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      ids.push(`b${i}`);
      client.send(commandPacket(deviceToken, 'WLB0B', 'ping', `b${i}`));
      if (i % 40 === 39) await new Promise((r) => setTimeout(r, 2100)); // stay under the client's own limit
    }
    const received: string[] = [];
    for (let i = 0; i < 60; i += 1) received.push(String(open(deviceToken, await device.probe.nextText(5000)).request_id));
    expect(received).toEqual(ids);
    // All 60 answers at once, then unsolicited frames well past the budget.
    for (const requestId of received) device.probe.send(responsePacket(deviceToken, 'WLB0B', { status: 'success', request_id: requestId }));
    const extra = LIMITS.deviceUnsolicitedBurst + LIMITS.deviceUnsolicitedDropsBeforeClose + 10;
    for (let i = 0; i < extra; i += 1) device.probe.send(responsePacket(deviceToken, 'WLB0B', { status: 'success', request_id: `x${i}` }));
    const answers: string[] = [];
    while (answers.length < 60) {
      const frame = await client.next(5000);
      if (typeof frame.payload === 'string') answers.push(String(open(deviceToken, frame).request_id));
    }
    expect(answers).toEqual(ids);
    expect((await device.probe.closed).code).toBe(1008);
    client.close();
  }, 30_000);
});
