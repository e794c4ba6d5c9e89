/**
 * Hardware-in-the-loop, named targets and wake confirmation (issue 16) on every engine, over real
 * loopback sockets. The computer to wake is a process on 127.0.0.1 that stays silent (a full accept
 * queue: probes hear nothing, as from a computer that is off) until the test wakes it; an awake
 * one is a plain listener. Nothing is probed or woken anywhere but 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../shared/index';
import { ClientSocket, httpCommand, lanCommand, V1Client } from './helpers/client';
import { captureWol, ENGINES, expectedMagicPacket, randomDeviceId, startDevice, type HilDevice, type WolCapture } from './helpers/device';
import { startHilRelay, type HilRelay } from './helpers/relay';
import { startSleepyComputer, type SleepyComputer } from './helpers/sleepy-computer';

/** An awake computer: counts the connections (probes) it receives. */
async function awakeComputer(): Promise<{ port: number; connections: () => number; close(): void }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as net.AddressInfo).port, connections: () => count, close: () => server.close() };
}

async function until<T>(what: string, timeoutMs: number, poll: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe.each(ENGINES)('targets and wake confirmation on the %s engine', (engine) => {
  let wol: WolCapture;
  let device: HilDevice;
  let client: V1Client;
  let port: number;
  let sleepy: SleepyComputer;
  const run = async (command: string, data: JsonObject = {}): Promise<JsonObject> => (await lanCommand(port, client, command, data)).reply;

  beforeAll(async () => {
    wol = await captureWol();
    sleepy = await startSleepyComputer();
    device = await startDevice({ engine, wolPort: wol.port });
    await device.waitReady();
    client = new V1Client(device.deviceId, device.token);
    port = device.sim.lanPort;
  });

  afterAll(async () => {
    if (device?.fatal.length) console.log('DEVICE', device.lines.map((l) => l.message).join('\n'));
    await device?.stop();
    sleepy?.close();
    wol?.close();
    expect(device.fatal).toEqual([]);
  });

  it('stores, lists and deletes targets over the LAN', async () => {
    expect(await run('target_set', { name: 'gone', mac: '02:00:00:00:10:01', host: '127.0.0.1', port: 1 })).toMatchObject({ status: 'success', result: 'target_saved' });
    expect((await run('targets_list')).targets).toEqual([{ name: 'gone', mac: '02:00:00:00:10:01', host: '127.0.0.1', port: 1, broadcast: '', retries: 2, wait: 120, secure_on: false }]);
    expect(await run('target_delete', { name: 'gone' })).toMatchObject({ result: 'target_deleted' });
    expect(await run('targets_list')).toMatchObject({ targets: [], next: null });
  });

  it('wake by name → up once the computer answers, with the time it took; the magic packet is byte-exact', async () => {
    const mac = '02:00:00:00:10:02';
    await run('target_set', { name: 'desk', mac, host: '127.0.0.1', port: sleepy.port, wait: 30, retries: 1 });
    const before = wol.packets.length;
    expect(await run('wake', { target: 'desk' })).toMatchObject({ status: 'success', result: 'wol_sent', mac, target: 'desk', watching: true });
    expect((await wol.next()).equals(expectedMagicPacket(mac))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await run('wake_result', { name: 'desk' })).toMatchObject({ state: 'waiting' });
    sleepy.wake();
    const result = await until('the target to come up', 15_000, async () => {
      const reply = await run('wake_result', { name: 'desk' });
      return reply.state === 'waiting' ? undefined : reply;
    });
    expect(result).toMatchObject({ target: 'desk', state: 'up' });
    expect(result.after_ms as number).toBeGreaterThanOrEqual(3000);
    expect(result.after_ms as number).toBeLessThan(12_000);
    expect(wol.packets.length - before).toBeGreaterThanOrEqual(1);
    expect(device.lines.some((line) => /event wake_result: desk up/.test(line.message))).toBe(true);
  }, 40_000);

  it('wake → timeout when the computer never answers, the magic packet re-sent while it is down', async () => {
    const silent = await startSleepyComputer();
    try {
      const mac = '02:00:00:00:10:03';
      await run('target_set', { name: 'never', mac, host: '127.0.0.1', port: silent.port, wait: 10, retries: 2 });
      const before = wol.packets.filter((p) => p.equals(expectedMagicPacket(mac))).length;
      await run('wake', { target: 'never' });
      const result = await until('the watch to end', 25_000, async () => {
        const reply = await run('wake_result', { name: 'never' });
        return reply.state === 'waiting' ? undefined : reply;
      });
      expect(result).toMatchObject({ state: 'timeout' });
      expect(result.after_ms as number).toBeGreaterThanOrEqual(10_000);
      expect(wol.packets.filter((p) => p.equals(expectedMagicPacket(mac))).length - before).toBe(3);
    } finally {
      silent.close();
    }
  }, 40_000);

  it('status probes every target now: up, down, and unknown without an address; at most one probe per target per second', async () => {
    const awake = await awakeComputer();
    const silent = await startSleepyComputer();
    try {
      for (const name of ['desk', 'never']) await run('target_delete', { name });
      await run('target_set', { name: 'on', mac: '02:00:00:00:10:04', host: '127.0.0.1', port: awake.port });
      await run('target_set', { name: 'off', mac: '02:00:00:00:10:05', host: '127.0.0.1', port: silent.port });
      await run('target_set', { name: 'tv', mac: '02:00:00:00:10:06' });
      const status = await run('status');
      expect(status).toMatchObject({ status: 'success', next: null });
      expect(status.targets).toEqual([{ name: 'on', state: 'up' }, { name: 'off', state: 'down' }, { name: 'tv', state: 'unknown' }]);
      const probes = awake.connections();
      expect(probes).toBe(1);
      await run('status');
      // Within the second after a probe, the answer is that probe's.
      expect(awake.connections() - probes).toBeLessThanOrEqual(1);
    } finally {
      awake.close();
      silent.close();
    }
  }, 30_000);

  it('a schedule wakes its target in the minute it names, once', async () => {
    const awake = await awakeComputer();
    try {
      // Far enough from the end of a minute for a check (every 20 s) to fall inside it.
      const secondsLeft = 60 - (Math.floor(Date.now() / 1000) % 60);
      if (secondsLeft < 30) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 200));
      const now = new Date();
      const at = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
      const mac = '02:00:00:00:10:07';
      await run('target_set', { name: 'sched', mac, host: '127.0.0.1', port: awake.port });
      const mark = device.lines.length;
      const saved = await run('schedule_set', { target: 'sched', at, days: 'daily', utc_offset: 0 });
      expect(saved).toMatchObject({ result: 'schedule_saved', clock_set: true });
      const before = wol.packets.length;
      await device.waitForLine(/schedule \d+: waking sched/, 30_000, mark);
      await until('the scheduled magic packet', 5000, async () => (wol.packets.slice(before).some((p) => p.equals(expectedMagicPacket(mac))) ? true : undefined));
      await device.waitForLine(/event wake_result: sched up/, 10_000, mark);
      expect(device.lines.slice(mark).filter((line) => /waking sched/.test(line.message))).toHaveLength(1);
      expect(await run('schedule_delete', { id: saved.id as number })).toMatchObject({ result: 'schedule_deleted' });
    } finally {
      awake.close();
    }
  }, 90_000);
});

describe.each(ENGINES)('targets through the relay on the %s engine', (engine) => {
  let relay: HilRelay;
  let wol: WolCapture;
  let device: HilDevice;

  beforeAll(async () => {
    relay = await startHilRelay();
    wol = await captureWol();
    const apiToken = await relay.register(`targets_${engine}_${randomBytes(3).toString('hex')}`);
    const deviceId = randomDeviceId();
    await relay.registerDevice(apiToken, deviceId);
    device = await startDevice({ engine, wolPort: wol.port, deviceId, relayUrl: relay.ws, apiToken });
    await device.waitForLine(/cloud: relay says welcome/);
    (device as HilDevice & { apiToken: string }).apiToken = apiToken;
  });

  afterAll(async () => {
    await device?.stop();
    await relay?.close();
    wol?.close();
    expect(device.fatal).toEqual([]);
  });

  it('target CRUD over the client WebSocket and a wake by name over HTTP; the relay only sees sealed packets', async () => {
    const apiToken = (device as HilDevice & { apiToken: string }).apiToken;
    const client = new V1Client(device.deviceId, device.token);
    const socket = await ClientSocket.open(relay.ws, apiToken, `targets-${engine}`);
    try {
      expect((await socket.command(client, 'target_set', { name: 'remote', mac: '02:00:00:00:10:08' })).reply).toMatchObject({ result: 'target_saved' });
      expect((await socket.command(client, 'targets_list')).reply).toMatchObject({ targets: [{ name: 'remote' }] });
    } finally {
      socket.close();
    }
    expect(await httpCommand(relay.http, apiToken, client, 'wake', { target: 'remote' })).toMatchObject({ result: 'wol_sent', target: 'remote', watching: false });
    await until('the magic packet', 5000, async () => (wol.packets.some((p) => p.equals(expectedMagicPacket('02:00:00:00:10:08'))) ? true : undefined));
  }, 40_000);
});
