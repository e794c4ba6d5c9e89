/**
 * Hardware-in-the-loop, cloud path (spec 4.2–4.5): the real relay (server/app.ts, SQLite in a temp
 * dir) in-process on 127.0.0.1, the real firmware in the simulator on Node and on a real XS engine,
 * v1.0 clients over HTTP push/pull and over the client WebSocket. Every case runs on both engines.
 * Catalogue IDs: L9/F3/F18 (relay down and back: LAN keeps working, the device reconnects by itself),
 * B11 (replay through the relay), S15 fix (queued command TTL).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse } from '../../shared/index';
import { ClientSocket, httpCommand, lanCommand, V1Client } from './helpers/client';
import { captureWol, ENGINES, expectedMagicPacket, randomDeviceId, randomToken, startDevice, type HilDevice, type WolCapture } from './helpers/device';
import { startHilRelay, type HilRelay } from './helpers/relay';

const QUEUE_TTL_SECONDS = 60;
const WELCOME = /cloud: relay says welcome/;

describe.each(ENGINES)('cloud on the %s engine', (engine) => {
  let relay: HilRelay;
  let wol: WolCapture;
  let apiToken: string;
  const devices: HilDevice[] = [];

  async function onlineDevice(deviceId = randomDeviceId()): Promise<HilDevice> {
    await relay.registerDevice(apiToken, deviceId);
    const device = await startDevice({ engine, wolPort: wol.port, deviceId, relayUrl: relay.ws, apiToken });
    devices.push(device);
    await device.waitForLine(WELCOME);
    return device;
  }

  beforeAll(async () => {
    relay = await startHilRelay({ queueTtlSeconds: QUEUE_TTL_SECONDS });
    wol = await captureWol();
    apiToken = await relay.register(`hil_${engine}_${randomBytes(3).toString('hex')}`);
  });

  afterAll(async () => {
    for (const device of devices) await device.stop();
    await relay?.close();
    wol?.close();
    for (const device of devices) {
      // Neither the device token nor the API token ever reaches the console.
      expect(device.lines.filter((l) => l.message.includes(device.token) || l.message.includes(apiToken))).toEqual([]);
      expect(device.fatal).toEqual([]);
    }
  });

  it('ping, info and wake over HTTP push + long-poll pull', async () => {
    const device = await onlineDevice();
    const client = new V1Client(device.deviceId, device.token);
    expect(await httpCommand(relay.http, apiToken, client, 'ping')).toMatchObject({ status: 'success', result: 'pong' });
    const info = await httpCommand(relay.http, apiToken, client, 'info');
    expect(validateResponse('info', info)).toEqual([]);
    expect(info).toMatchObject({ device_id: device.deviceId, cloud_enabled: true, cloud_status: 'connected' });
    const mac = '0A:1B:2C:3D:4E:5F';
    expect(await httpCommand(relay.http, apiToken, client, 'wake', { mac })).toMatchObject({ status: 'success', result: 'wol_sent', mac });
    expect((await wol.next()).equals(expectedMagicPacket(mac))).toBe(true);
  });

  it('ping, info and wake over the client WebSocket; LAN works while the relay is down, then the device reconnects by itself (L9, F18)', async () => {
    const device = await onlineDevice();
    const client = new V1Client(device.deviceId, device.token);
    let socket = await ClientSocket.open(relay.ws, apiToken, `cli_${device.deviceId}_${randomBytes(4).toString('hex')}`);
    const ping = await socket.command(client, 'ping');
    expect(ping.ack).toMatchObject({ delivered: true });
    expect(ping.reply).toMatchObject({ status: 'success', result: 'pong' });
    expect((await socket.command(client, 'info')).reply).toMatchObject({ device_id: device.deviceId, cloud_status: 'connected' });
    const mac = '02:00:00:00:00:01';
    expect((await socket.command(client, 'wake', { mac })).reply).toMatchObject({ result: 'wol_sent', mac });
    expect((await wol.next()).equals(expectedMagicPacket(mac))).toBe(true);
    socket.close();

    // Relay down (F18): the LAN keeps working while the cloud link is lost.
    const mark = device.lines.length;
    await relay.stop();
    await device.waitForLine(/cloud: (connection closed|relay error)/, 5000, mark);
    expect((await lanCommand(device.sim.lanPort, client, 'info')).reply).toMatchObject({ status: 'success', cloud_status: 'disconnected' });
    await relay.start();
    // Firmware backoff starts at 5 s ± 25 % (CLOUD_BACKOFF_BASE_MS, not configurable), hence the wait.
    await device.waitForLine(WELCOME, 15_000, mark);
    socket = await ClientSocket.open(relay.ws, apiToken, `cli_${device.deviceId}_${randomBytes(4).toString('hex')}`);
    expect((await socket.command(client, 'ping')).reply).toMatchObject({ status: 'success', result: 'pong' });
    socket.close();
  }, 30_000);

  it('a replayed packet acts once (its duplicate gets the same reply, F4) and a wrong token gets no success, through the relay (B11)', async () => {
    const device = await onlineDevice();
    const client = new V1Client(device.deviceId, device.token);
    const socket = await ClientSocket.open(relay.ws, apiToken, `cli_${device.deviceId}_${randomBytes(4).toString('hex')}`);
    const mac = '0D:00:00:00:00:0D';
    const sent = client.seal('wake', { mac });
    const before = wol.packets.length;
    const replyTo = async (line: string, requestId: string) => {
      socket.send(line);
      await socket.next((frame) => frame.status === 'success' && 'delivered' in frame, 10_000);
      const frame = await socket.next((f) => typeof f.payload === 'string', 10_000);
      const inner = client.open(frame as never);
      expect(inner.request_id === requestId || inner.request_id === null).toBe(true);
      return inner;
    };
    const original = await replyTo(sent.line, sent.requestId);
    expect(original).toMatchObject({ status: 'success', result: 'wol_sent' });
    expect((await wol.next()).equals(expectedMagicPacket(mac))).toBe(true);
    expect(await replyTo(sent.line, sent.requestId)).toEqual(original);

    const intruder = new V1Client(device.deviceId, randomToken());
    const forged = intruder.seal('wake', { mac });
    expect(await replyTo(forged.line, forged.requestId)).toEqual({ status: 'error', error: 'INVALID_SIGNATURE', request_id: null });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(wol.packets.length).toBe(before + 1);
    socket.close();
  });

  it('two client WebSockets talking to the device at once each get their own replies', async () => {
    const device = await onlineDevice();
    const client = new V1Client(device.deviceId, device.token);
    const [a, b] = await Promise.all([
      ClientSocket.open(relay.ws, apiToken, `cli_a_${randomBytes(4).toString('hex')}`),
      ClientSocket.open(relay.ws, apiToken, `cli_b_${randomBytes(4).toString('hex')}`),
    ]);
    const [ra, rb] = await Promise.all([a.command(client, 'ping'), b.command(client, 'info')]);
    expect(ra.reply).toMatchObject({ status: 'success', result: 'pong' });
    expect(rb.reply).toMatchObject({ status: 'success', device_id: device.deviceId });
    a.close();
    b.close();
  });

  it('delivers a command queued while the device was offline, but not one older than the TTL', async () => {
    const deviceId = randomDeviceId();
    await relay.registerDevice(apiToken, deviceId);
    // The device does not run yet: both pushes are queued durably by the relay.
    const token = randomToken();
    const client = new V1Client(deviceId, token);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` };
    const push = async (mac: string) => {
      const sent = client.seal('wake', { mac });
      const response = await fetch(`${relay.http}/api/push`, { method: 'POST', headers, body: JSON.stringify(sent.envelope) });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ delivered_via_ws: false, queued: true });
      return sent;
    };
    const stale = await push('0E:00:00:00:00:01');
    relay.clock.offsetMs += (QUEUE_TTL_SECONDS + 1) * 1000;
    const fresh = await push('0E:00:00:00:00:02');

    const before = wol.packets.length;
    const device = await startDevice({ engine, wolPort: wol.port, deviceId, token, relayUrl: relay.ws, apiToken });
    devices.push(device);
    await device.waitForLine(WELCOME);
    expect((await wol.next()).equals(expectedMagicPacket('0E:00:00:00:00:02'))).toBe(true);
    const pull = await fetch(`${relay.http}/api/pull`, { method: 'POST', headers, body: JSON.stringify({ device_id: deviceId, wait: 5 }) });
    const messages = ((await pull.json()) as { messages: Array<{ payload: string; signature: string }> }).messages;
    const replies = messages.map((m) => client.open({ device_id: deviceId, payload: m.payload, signature: m.signature, version: '1.0' }));
    expect(replies.map((r) => r.request_id)).toEqual([fresh.requestId]);
    expect(replies[0]).toMatchObject({ status: 'success', result: 'wol_sent' });
    // Give a wrongly delivered stale command time to show up before asserting it never did.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wol.packets.slice(before).filter((p) => p.equals(expectedMagicPacket('0E:00:00:00:00:01')))).toEqual([]);
    expect(replies.some((r) => r.request_id === stale.requestId)).toBe(false);
  });
});
