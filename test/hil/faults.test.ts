/**
 * Hardware-in-the-loop, the faults that aborted the real Moddable build: an unknown command
 * through the relay, a relay that refuses, resets or talks garbage at any point, malformed LAN
 * lines, and a long run of wakes. On every engine; `npm run test:moddable` runs them on the real
 * lin build. The device must never die (`fatal` stays empty), keep serving the LAN, and come back
 * to the relay with backoff. Catalogue IDs: F18 (relay unreachable), B3/B27 (bad LAN input), L9.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_BACKOFF_BASE_MS, CLOUD_BACKOFF_JITTER } from '../../firmware/constants';
import { garbageFrameRelay, garbageHttpRelay, refusingRelay, resettingRelay, type BadRelay } from './helpers/bad-relays';
import { ClientSocket, lanCommand, lanSend, V1Client } from './helpers/client';
import { captureWol, ENGINES, expectedMagicPacket, randomDeviceId, startDevice, type HilDevice, type WolCapture } from './helpers/device';
import { startHilRelay, type HilRelay } from './helpers/relay';

/** The shortest a reconnect may come after a failed attempt: the base delay less its jitter. */
const MIN_BACKOFF_MS = CLOUD_BACKOFF_BASE_MS * (1 - CLOUD_BACKOFF_JITTER);
const WELCOME = /cloud: relay says welcome/;

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(ENGINES)('faults on the %s engine', (engine) => {
  let wol: WolCapture;
  const devices: HilDevice[] = [];

  async function device(options: { relayUrl?: string; apiToken?: string; deviceId?: string } = {}): Promise<HilDevice> {
    const started = await startDevice({ engine, wolPort: wol.port, ...options });
    devices.push(started);
    await started.waitReady();
    return started;
  }

  beforeAll(async () => {
    wol = await captureWol();
  });

  afterAll(async () => {
    for (const started of devices) await started.stop();
    wol?.close();
    for (const started of devices) expect(started.fatal).toEqual([]);
  });

  it('answers an unknown command through the relay, then keeps serving (the VM abort of the lin build)', async () => {
    const relay: HilRelay = await startHilRelay();
    try {
      const apiToken = await relay.register(`faults_${engine}_${randomBytes(3).toString('hex')}`);
      const deviceId = randomDeviceId();
      await relay.registerDevice(apiToken, deviceId);
      const online = await device({ relayUrl: relay.ws, apiToken, deviceId });
      await online.waitForLine(WELCOME);
      const client = new V1Client(online.deviceId, online.token);
      const socket = await ClientSocket.open(relay.ws, apiToken, `faults-${engine}`);
      try {
        const unknown = await socket.command(client, 'self_destruct');
        expect(unknown.reply).toMatchObject({ status: 'error', error: 'UNKNOWN_COMMAND', command: 'self_destruct' });
        const empty = await socket.command(client, '');
        expect(empty.reply).toMatchObject({ status: 'error', error: 'UNKNOWN_COMMAND' });
        expect((await socket.command(client, 'ping')).reply).toMatchObject({ status: 'success', result: 'pong' });
      } finally {
        socket.close();
      }
      expect((await lanCommand(online.sim.lanPort, client, 'ping')).reply).toMatchObject({ status: 'success' });
      expect(online.fatal).toEqual([]);
    } finally {
      await relay.close();
    }
  }, 40_000);

  it('F18: a relay that refuses, resets, sends non-HTTP bytes or garbage frames: LAN keeps serving, the link retries with backoff', async () => {
    const relays: Array<[string, BadRelay]> = [
      ['refused', await refusingRelay()],
      ['reset', await resettingRelay()],
      ['garbage http', await garbageHttpRelay()],
      ['garbage frames', await garbageFrameRelay()],
    ];
    try {
      const started = await Promise.all(relays.map(([, relay]) => device({ relayUrl: relay.url, apiToken: 'sk-not-a-real-token' })));
      await Promise.all(started.map(async (dev, i) => {
        const [name, relay] = relays[i]!;
        const attempts = (): number => dev.lines.filter((line) => /cloud: connecting to/.test(line.message)).length;
        // Two attempts, the second after the backoff delay; in between and after, the LAN answers.
        await waitFor(() => attempts() >= 2, 3 * CLOUD_BACKOFF_BASE_MS, `a second connection attempt (${name})`);
        const client = new V1Client(dev.deviceId, dev.token);
        expect((await lanCommand(dev.sim.lanPort, client, 'ping')).reply, name).toMatchObject({ status: 'success', result: 'pong' });
        const info = (await lanCommand(dev.sim.lanPort, client, 'info')).reply;
        expect(info, name).toMatchObject({ status: 'success', cloud_enabled: true });
        // The garbage-frame relay does complete handshakes: between its error frames the link is up.
        if (name !== 'garbage frames') expect(info.cloud_status, name).toBe('disconnected');
        if (relay.connections.length >= 2) {
          expect(relay.connections[1]! - relay.connections[0]!, name).toBeGreaterThanOrEqual(MIN_BACKOFF_MS - 250);
        }
        expect(dev.lines.some((line) => /cloud: reconnecting in \d+ ms/.test(line.message)), name).toBe(true);
      }));
      // The servers that accept saw the device come back; the refused one never had a connection.
      for (const [name, relay] of relays.slice(1)) expect(relay.connections.length, name).toBeGreaterThanOrEqual(2);
      const frames = relays[3]![1] as Awaited<ReturnType<typeof garbageFrameRelay>>;
      // Garbage that looked like a packet was answered (sealed), the rest dropped; nothing crashed.
      expect(frames.repliesFromDevice.some((text) => text.includes('"payload"'))).toBe(true);
      for (const dev of started) expect(dev.fatal).toEqual([]);
    } finally {
      for (const [, relay] of relays) await relay.close();
    }
  }, 60_000);

  it('B3/B27: binary noise, NUL bytes, CR-only lines and several lines on one connection are answered or closed; the device keeps serving', async () => {
    const dev = await device();
    const client = new V1Client(dev.deviceId, dev.token);
    const port = dev.sim.lanPort;
    const inputs: Array<string | Buffer> = [
      randomBytes(700),
      Buffer.concat([Buffer.alloc(40, 0), Buffer.from('\n')]),
      '\r\r\r\r',
      '{"device_id":\n{"payload":\n',
      `${client.seal('ping').line}\n${client.seal('ping').line}\n`,
      '{}\n',
      '[]\n',
      `${JSON.stringify({ device_id: dev.deviceId, payload: 'ab'.repeat(600), signature: '00'.repeat(32), version: '1.0' })}\n`,
    ];
    for (const input of inputs) {
      const exchange = await lanSend(port, input, { end: true, timeoutMs: 8000 });
      expect(exchange.closed).toBe(true);
      for (const line of exchange.text.split('\n').filter(Boolean)) expect(client.open(line)).toHaveProperty('status');
    }
    expect((await lanCommand(port, client, 'ping')).reply).toMatchObject({ status: 'success', result: 'pong' });
  }, 60_000);

  it('L9: a long run of wakes, every one answered and sent, byte for byte', async () => {
    // The real build is the one that must never degrade; the adapters under Node are checked with fewer.
    const wakes = engine === 'moddable' ? 1000 : 100;
    const parallel = 4;
    const dev = await device();
    const client = new V1Client(dev.deviceId, dev.token);
    const before = wol.packets.length;
    let next = 0;
    let answered = 0;
    const worker = async (): Promise<void> => {
      while (next < wakes) {
        const n = next++;
        const mac = `02:00:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`.toUpperCase();
        const { reply } = await lanCommand(dev.sim.lanPort, client, 'wake', { mac });
        expect(reply).toMatchObject({ status: 'success', result: 'wol_sent', mac });
        answered++;
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    expect(answered).toBe(wakes);
    await waitFor(() => wol.packets.length - before >= wakes, 5000, 'every magic packet');
    const sent = wol.packets.slice(before);
    expect(sent).toHaveLength(wakes);
    expect(sent.every((packet) => packet.length === 102)).toBe(true);
    expect(sent.some((packet) => packet.equals(expectedMagicPacket('02:00:00:00:00:00')))).toBe(true);
    expect(dev.fatal).toEqual([]);
  }, 240_000);
});
