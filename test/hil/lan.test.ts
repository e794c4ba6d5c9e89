/**
 * Hardware-in-the-loop, LAN path (spec 3.1, 5.1, 5.2): the real firmware in the simulator, on
 * Node and on a real XS engine, over real loopback sockets. Every case runs on both engines.
 * Catalogue IDs: B3 (oversize line), B27 (half-written line), L8 (concurrent clients), B11 (replay),
 * F13 (state changes need a timestamp).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse } from '../../shared/index';
import { lanCommand, lanSend, V1Client } from './helpers/client';
import { captureWol, ENGINES, expectedMagicPacket, randomToken, startDevice, type HilDevice, type WolCapture } from './helpers/device';

describe.each(ENGINES)('LAN on the %s engine', (engine) => {
  let device: HilDevice;
  let wol: WolCapture;
  let client: V1Client;
  let port: number;

  beforeAll(async () => {
    wol = await captureWol();
    device = await startDevice({ engine, wolPort: wol.port });
    await device.waitReady();
    client = new V1Client(device.deviceId, device.token);
    port = device.sim.lanPort;
  });

  afterAll(async () => {
    await device?.stop();
    wol?.close();
    // The console never shows the device token (it was given, not generated, so no banner shows it either).
    expect(device.lines.filter((line) => line.message.includes(device.token))).toEqual([]);
    expect(device.fatal).toEqual([]);
  });

  it('answers ping and info with v1.0 replies', async () => {
    const ping = await lanCommand(port, client, 'ping');
    expect(ping.reply).toEqual({ status: 'success', result: 'pong', request_id: ping.sent.requestId });
    expect(JSON.parse(ping.raw)).toMatchObject({ device_id: device.deviceId, version: '1.0' });
    expect(Object.keys(JSON.parse(ping.raw))).toEqual(['device_id', 'payload', 'signature', 'request_counter', 'version']);

    const info = await lanCommand(port, client, 'info');
    expect(validateResponse('info', info.reply)).toEqual([]);
    expect(info.reply).toMatchObject({
      status: 'success', device_id: device.deviceId, ip: '127.0.0.1', mode: 'STA', crypto_enabled: true,
      cloud_enabled: false, cloud_status: 'disabled', request_id: info.sent.requestId,
    });
    // Both packets passed the MAC, so both were counted (spec 1.6); the outer counter matches the inner one.
    expect(info.reply.request_counter).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(info.raw).request_counter).toBe(info.reply.request_counter);
  });

  it('wakes: one magic packet, byte for byte, on the capture socket only', async () => {
    const before = wol.packets.length;
    const mac = 'AA:BB:CC:DD:EE:0F';
    const wake = await lanCommand(port, client, 'wake', { mac });
    expect(wake.reply).toEqual({ status: 'success', result: 'wol_sent', mac, request_id: wake.sent.requestId });
    const packet = await wol.next();
    expect(packet.length).toBe(102);
    expect(packet.equals(expectedMagicPacket(mac))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(wol.packets.length).toBe(before + 1);
  });

  it('a captured packet replayed verbatim (B11, F4) gets the same reply again but causes no second wake', async () => {
    const sent = client.seal('wake', { mac: '11:22:33:44:55:66' });
    const first = await lanSend(port, sent.line + '\n');
    expect(client.open(first.text.trim())).toMatchObject({ status: 'success', result: 'wol_sent' });
    await wol.next();
    const replay = await lanSend(port, sent.line + '\n');
    expect(replay.text).toBe(first.text);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(wol.packets.filter((p) => p.equals(expectedMagicPacket('11:22:33:44:55:66')))).toHaveLength(1);
  });

  it('F13 (issue 12 item 7): a wake without a timestamp is refused TIMESTAMP_REQUIRED and sends nothing; a ping without one is answered', async () => {
    const before = wol.packets.length;
    const wake = client.sealInner({ command: 'wake', data: { mac: 'AA:BB:CC:00:11:22' }, request_id: 'nots0001' }, 'nots0001');
    const refused = await lanSend(port, wake.line + '\n');
    expect(client.open(refused.text.trim())).toEqual({ status: 'error', error: 'TIMESTAMP_REQUIRED', request_id: 'nots0001' });
    // Not remembered as answered: the same packet again is refused again, never run.
    expect(client.open((await lanSend(port, wake.line + '\n')).text.trim())).toMatchObject({ error: 'TIMESTAMP_REQUIRED' });
    const ping = client.sealInner({ command: 'ping', data: {}, request_id: 'nots0002' }, 'nots0002');
    expect(client.open((await lanSend(port, ping.line + '\n')).text.trim())).toEqual({ status: 'success', result: 'pong', request_id: 'nots0002' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(wol.packets.length).toBe(before);
  });

  it('gives a wrong token no success and sends nothing', async () => {
    const intruder = new V1Client(device.deviceId, randomToken());
    const before = wol.packets.length;
    const sent = intruder.seal('wake', { mac: 'AA:AA:AA:AA:AA:AA' });
    const exchange = await lanSend(port, sent.line + '\n');
    // The intruder cannot even verify the reply; the owner sees INVALID_SIGNATURE.
    expect(() => intruder.open(exchange.text.trim())).toThrow(/HMAC/);
    expect(client.open(exchange.text.trim())).toEqual({ status: 'error', error: 'INVALID_SIGNATURE', request_id: null });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(wol.packets.length).toBe(before);
  });

  it('answers garbage, oversize and half-written lines with v1.0 errors or a clean close, then keeps serving (B3, B27)', async () => {
    // Half a line and no FIN: answered when the 5 s read window closes. Runs alongside the rest.
    const sent = client.seal('ping');
    const stalled = lanSend(port, sent.line.slice(0, 40), { timeoutMs: 9000 });

    const garbage = await lanSend(port, 'hello device\n');
    expect(client.open(garbage.text.trim())).toEqual({ status: 'error', error: 'JSON_PARSE', request_id: null });

    const numericVersion = await lanSend(port, JSON.stringify({ ...sent.envelope, version: 1.0 }) + '\n');
    expect(client.open(numericVersion.text.trim())).toEqual({ status: 'error', error: 'BAD_PACKET', request_id: null });

    const oddHex = await lanSend(port, JSON.stringify({ ...sent.envelope, payload: sent.envelope.payload + 'a' }) + '\n');
    expect(client.open(oddHex.text.trim())).toMatchObject({ status: 'error', request_id: null });

    const oversize = await lanSend(port, Buffer.alloc(4096, 0x7b));
    expect(oversize.closed).toBe(true);
    if (oversize.text !== '') expect(client.open(oversize.text.trim())).toEqual({ status: 'error', error: 'JSON_PARSE', request_id: null });

    const invalidUtf8 = await lanSend(port, Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0x0a]));
    expect(invalidUtf8.closed).toBe(true);
    if (invalidUtf8.text !== '') expect(client.open(invalidUtf8.text.trim())).toMatchObject({ status: 'error' });

    const halfClosed = await lanSend(port, sent.line.slice(0, 60), { end: true });
    expect(client.open(halfClosed.text.trim())).toEqual({ status: 'error', error: 'JSON_PARSE', request_id: null });

    const silent = await lanSend(port, '', { end: true });
    expect(silent).toEqual({ text: '', closed: true });

    const late = await stalled;
    expect(late.closed).toBe(true);
    expect(client.open(late.text.trim())).toEqual({ status: 'error', error: 'JSON_PARSE', request_id: null });

    const ping = await lanCommand(port, client, 'ping');
    expect(ping.reply).toMatchObject({ status: 'success', result: 'pong' });
    expect(device.fatal).toEqual([]);
  }, 20_000);

  it('serves two clients at once, each with its own reply (L8)', async () => {
    const a = client.seal('ping');
    const b = client.seal('info');
    // Interleave the halves so both requests are in flight on the device at the same time.
    const net = await import('node:net');
    const open = () => new Promise<import('node:net').Socket>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    });
    const [sa, sb] = await Promise.all([open(), open()]);
    const read = (socket: import('node:net').Socket) => new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    const ra = read(sa);
    const rb = read(sb);
    sa.write(a.line.slice(0, 50));
    sb.write(b.line.slice(0, 50));
    await new Promise((resolve) => setTimeout(resolve, 50));
    sb.write(b.line.slice(50) + '\n');
    sa.write(a.line.slice(50) + '\n');
    const [replyA, replyB] = await Promise.all([ra, rb]);
    expect(client.open(replyA.trim())).toEqual({ status: 'success', result: 'pong', request_id: a.requestId });
    expect(client.open(replyB.trim())).toMatchObject({ status: 'success', device_id: device.deviceId, request_id: b.requestId });
  });

  it('ESP8266 profile: a third concurrent client is refused cleanly, the two in flight are served (L8, B27)', async () => {
    const small = await startDevice({ engine, wolPort: wol.port, profile: 'esp8266' });
    try {
      await small.waitReady();
      const owner = new V1Client(small.deviceId, small.token);
      const a = owner.seal('ping');
      const b = owner.seal('ping');
      // Two half-written requests hold both slots of the ESP8266 profile...
      const net = await import('node:net');
      const hold = (line: string) => {
        const socket = net.connect({ port: small.sim.lanPort, host: '127.0.0.1' });
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        const done = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
        socket.write(line.slice(0, 30));
        return { socket, done, rest: () => socket.write(line.slice(30) + '\n') };
      };
      const first = hold(a.line);
      const second = hold(b.line);
      const deadline = Date.now() + 3000;
      while ((await small.sim.status()).lanConnections < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await small.sim.status()).lanConnections).toBe(2);
      // ...so a third is closed at once, without a reply.
      const third = await lanSend(small.sim.lanPort, owner.seal('ping').line + '\n', { timeoutMs: 3000 });
      expect(third).toEqual({ text: '', closed: true });
      first.rest();
      second.rest();
      expect(owner.open((await first.done).trim())).toMatchObject({ status: 'success', result: 'pong', request_id: a.requestId });
      expect(owner.open((await second.done).trim())).toMatchObject({ status: 'success', result: 'pong', request_id: b.requestId });
      expect((await lanCommand(small.sim.lanPort, owner, 'ping')).reply).toMatchObject({ status: 'success' });
    } finally {
      await small.stop();
    }
  });
});
