/**
 * Commands that end without a reply (issue 12 item 11; catalogue C1, F4): a command forwarded live
 * is written to the durable queue in the same group commit as queued ones, so a relay crash
 * (SIGKILL) does not lose it; and every way a command can end without a reply tells its sender:
 * `expired` (it never reached the device) or `undelivered` (it reached the device, no reply came,
 * it may have run), as a WS frame or as the answer to the sender's HTTP pull.
 */
import http from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../server/limits';
import { crashAndRestart, spawnRelay, waitListening } from './helpers/child';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { ManualClock, TEST_SECRET, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
const relays: RunningRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

async function relayWith(options: Parameters<typeof startRelay>[0] = {}): Promise<RunningRelay> {
  const relay = await startRelay(options);
  relays.push(relay);
  return relay;
}

async function dropped(probe: WsProbe): Promise<void> {
  probe.socket.terminate();
  await probe.closed;
  await new Promise((r) => setTimeout(r, 50));
}

function queueRows(dbFile: string): { attempts: number }[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT attempts FROM device_queue ORDER BY id').all() as { attempts: number }[];
  } finally {
    db.close();
  }
}

/** One keep-alive connection for push and pull, like the v1.0 Python CLI's requests.Session. */
function keepAliveClient(base: string, token: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (path: string, body: unknown): Promise<{ status: number; body: any }> => new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const request = http.request(new URL(path, base), {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: `Bearer ${token}` },
    }, (response) => {
      let data = '';
      response.setEncoding('utf8').on('data', (c: string) => (data += c)).on('end', () => resolve({ status: response.statusCode ?? 0, body: data ? JSON.parse(data) : null }));
    });
    request.on('error', reject);
    request.end(text);
  });
  return { post, close: () => agent.destroy() };
}

describe('live commands are durable (issue 12 item 11, C1)', () => {
  const dir = tempDir('wl-live-durable-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('F1/F4: a command ACKed delivered:true whose reply had not come back survives kill -9: re-sent after the restart, same bytes, its reply kept for the owner', async () => {
    const env = { CLOUD_PORT: '0', DATABASE_FILE: join(dir, 'relay.db'), SECRET_KEY: TEST_SECRET };
    const first = await waitListening(spawnRelay(env));
    const user = await registerUser(first.http);
    const id = 'WL1CE1';
    await registerDevice(first.http, user.token, id);
    const before = await connectDevice(first.ws, id, user.token);
    const { probe: client } = await connectClient(first.ws, 'live-kill', user.token);
    client.send(commandPacket(deviceToken, id, 'wake', 'kill0001', { mac: 'AA:BB:CC:DD:EE:01' }));
    const sent = await before.probe.nextText();
    expect(await client.next()).toMatchObject({ status: 'success', delivered: true, queued: false });
    // The ACK is sent once the in-flight row is committed: the crash comes after it.
    const second = await crashAndRestart(first, env);
    await before.probe.closed;
    try {
      const after = await connectDevice(second.ws, id, user.token);
      expect(await after.probe.nextText()).toBe(sent);
      after.probe.send(responsePacket(deviceToken, id, { status: 'success', result: 'wol_sent', request_id: 'kill0001' }));
      await new Promise((r) => setTimeout(r, 100));
      const pulled = await api(second.http, 'POST', '/api/pull', { token: user.token, body: { device_id: id } });
      expect(pulled.body.count).toBe(1);
      const m = pulled.body.messages[0];
      expect(open(deviceToken, { device_id: id, payload: m.payload, signature: m.signature, version: '1.0' }).request_id).toBe('kill0001');
      after.probe.close();
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  }, 60_000);

  it('an answered live command leaves no row behind; the reply still goes straight to its WS sender', async () => {
    const relay = await relayWith();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL1CE2');
    const { probe: device } = await connectDevice(relay.ws, 'WL1CE2', user.token);
    const { probe: client } = await connectClient(relay.ws, 'live-row', user.token);
    client.send(commandPacket(deviceToken, 'WL1CE2', 'ping', 'row00001'));
    expect(open(deviceToken, await device.nextText()).request_id).toBe('row00001');
    expect(await client.next()).toMatchObject({ delivered: true });
    expect(queueRows(relay.dbFile)).toEqual([{ attempts: 1 }]);
    device.send(responsePacket(deviceToken, 'WL1CE2', { status: 'success', request_id: 'row00001' }));
    expect(open(deviceToken, await client.next()).request_id).toBe('row00001');
    await new Promise((r) => setTimeout(r, 50));
    expect(queueRows(relay.dbFile)).toEqual([]);
    client.close();
    device.close();
  });
});

describe('INFLIGHT_ROW_DELAY_MS (issue 17): a live command\'s row only when its board is slower than the delay', () => {
  it('a v1.0 command its board answers within the delay is never written; its ACK comes with the reply, not after the delay', async () => {
    const relay = await relayWith({ env: { INFLIGHT_ROW_DELAY_MS: '1000' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL1CE3');
    const { probe: device } = await connectDevice(relay.ws, 'WL1CE3', user.token);
    const { probe: client } = await connectClient(relay.ws, 'live-fast', user.token);
    const started = Date.now();
    client.send(commandPacket(deviceToken, 'WL1CE3', 'ping', 'fast0001'));
    expect(open(deviceToken, await device.nextText()).request_id).toBe('fast0001');
    expect(queueRows(relay.dbFile)).toEqual([]);
    device.send(responsePacket(deviceToken, 'WL1CE3', { status: 'success', request_id: 'fast0001' }));
    const frames = [await client.next(), await client.next()];
    expect(Date.now() - started).toBeLessThan(900);
    expect(frames.find((f) => f.status === 'success')).toMatchObject({ delivered: true, queued: false });
    expect(open(deviceToken, frames.find((f) => f.payload !== undefined)).request_id).toBe('fast0001');
    expect(queueRows(relay.dbFile)).toEqual([]);
    client.close();
    device.close();
  });

  it('a board slower than the delay: the row is written once the delay has passed, and only then is the ACK sent', async () => {
    const relay = await relayWith({ env: { INFLIGHT_ROW_DELAY_MS: '300' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL1CE4');
    const { probe: device } = await connectDevice(relay.ws, 'WL1CE4', user.token);
    const { probe: client } = await connectClient(relay.ws, 'live-slow', user.token);
    const started = Date.now();
    client.send(commandPacket(deviceToken, 'WL1CE4', 'wake', 'slow0001'));
    expect(open(deviceToken, await device.nextText()).request_id).toBe('slow0001');
    expect(queueRows(relay.dbFile)).toEqual([]);
    expect(await client.next()).toMatchObject({ status: 'success', delivered: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(queueRows(relay.dbFile)).toEqual([{ attempts: 1 }]);
    device.send(responsePacket(deviceToken, 'WL1CE4', { status: 'success', request_id: 'slow0001' }));
    expect(open(deviceToken, await client.next()).request_id).toBe('slow0001');
    await new Promise((r) => setTimeout(r, 50));
    expect(queueRows(relay.dbFile)).toEqual([]);
    client.close();
    device.close();
  });
});

describe('commands that end without a reply are reported (issue 12 item 11)', () => {
  it(`WS: a command the device never answers is re-sent ${LIMITS.deliveryAttempts} times, then its sender gets \`undelivered\` (with the command's signature)`, async () => {
    const relay = await relayWith();
    const user = await registerUser(relay.http);
    const id = 'WLE0A';
    await registerDevice(relay.http, user.token, id);
    const { probe: client } = await connectClient(relay.ws, 'no-answer', user.token);
    const packet = commandPacket(deviceToken, id, 'restart', 'noans001');
    let device = await connectDevice(relay.ws, id, user.token);
    client.send(packet);
    expect(await client.next()).toMatchObject({ delivered: true });
    for (let attempt = 1; attempt <= LIMITS.deliveryAttempts; attempt += 1) {
      expect(open(deviceToken, await device.probe.nextText()).request_id).toBe('noans001');
      await dropped(device.probe);
      device = await connectDevice(relay.ws, id, user.token);
    }
    expect(await client.next()).toEqual({
      status: 'error', error: 'undelivered', message: expect.stringMatching(/no reply/i), device_id: id, signature: packet.signature,
    });
    expect(await device.probe.nothingFor(150)).toBe(true);
    client.close();
    device.probe.close();
  });

  it('WS: a delivered command whose device went away and never came back before its TTL → `undelivered`', async () => {
    const clock = new ManualClock();
    const relay = await relayWith({ clock, env: { QUEUE_TTL_SECONDS: '60' } });
    const user = await registerUser(relay.http);
    const id = 'WLE0B';
    await registerDevice(relay.http, user.token, id);
    const { probe: device } = await connectDevice(relay.ws, id, user.token);
    const { probe: client } = await connectClient(relay.ws, 'gone-client', user.token);
    const packet = commandPacket(deviceToken, id, 'ping', 'gone0001');
    client.send(packet);
    expect(await client.next()).toMatchObject({ delivered: true });
    await device.nextText();
    await dropped(device);
    clock.advance(60_000 + 1);
    relay.app.relay.sweepExpired();
    expect(await client.next()).toMatchObject({ status: 'error', error: 'undelivered', device_id: id, signature: packet.signature });
    expect(queueRows(relay.dbFile)).toEqual([]);
    client.close();
  });

  it('HTTP: the sender\'s pull is answered 410 `expired` when its queued command expired, 504 `undelivered` when the device never answered it', async () => {
    const clock = new ManualClock();
    const relay = await relayWith({ clock, env: { QUEUE_TTL_SECONDS: '60' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLE0C');
    await registerDevice(relay.http, user.token, 'WLE0D');
    const cli = keepAliveClient(relay.http, user.token);
    try {
      const queued = commandPacket(deviceToken, 'WLE0C', 'ping', 'hexp0001');
      expect((await cli.post('/api/push', { ...queued, direction: 'to_device' })).body.queued).toBe(true);
      clock.advance(60_000 + 1);
      relay.app.relay.sweepExpired();
      const expired = await cli.post('/api/pull', { device_id: 'WLE0C', wait: 1 });
      expect(expired.status).toBe(410);
      expect(expired.body).toMatchObject({ error: 'expired', device_id: 'WLE0C', signature: queued.signature });
      // Told once; the next pull is an ordinary empty one.
      expect((await cli.post('/api/pull', { device_id: 'WLE0C', wait: 0 })).body.count).toBe(0);

      const delivered = commandPacket(deviceToken, 'WLE0D', 'ping', 'hund0001');
      let device = await connectDevice(relay.ws, 'WLE0D', user.token);
      expect((await cli.post('/api/push', { ...delivered, direction: 'to_device' })).body.delivered_via_ws).toBe(true);
      for (let attempt = 1; attempt <= LIMITS.deliveryAttempts; attempt += 1) {
        await device.probe.nextText();
        await dropped(device.probe);
        device = await connectDevice(relay.ws, 'WLE0D', user.token);
      }
      const undelivered = await cli.post('/api/pull', { device_id: 'WLE0D', wait: 1 });
      expect(undelivered.status).toBe(504);
      expect(undelivered.body).toMatchObject({ error: 'undelivered', device_id: 'WLE0D', signature: delivered.signature });
      device.probe.close();
    } finally {
      cli.close();
    }
  });
});
