import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveKeys } from '../../server/auth/keys';
import { loggerOptions } from '../../server/logger';
import type { SqliteStore } from '../../server/store/sqlite-store';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { TEST_SECRET, startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe, connectClient, connectDevice } from './helpers/ws';

const deviceToken = newDeviceToken();
let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

describe('socket limits', () => {
  it('F8: a flooding client gets RATE_LIMITED frames, then is closed with 1008; others keep working', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    const { probe: flooder } = await connectClient(relay.ws, 'flood', user.token);
    const { probe: calm } = await connectClient(relay.ws, 'calm', user.token);
    // A frame the relay answers with nothing (`{"type":"ping"}` is answered with a pong since issue 13).
    for (let i = 0; i < 200; i += 1) flooder.send({ type: 'pong' });
    const first = await flooder.next();
    expect(first).toEqual({ status: 'error', error: 'RATE_LIMITED', message: 'Too many messages' });
    expect((await flooder.closed).code).toBe(1008);
    calm.send('{');
    expect((await calm.next()).error).toBe('INVALID_JSON');
    calm.close();
  });

  it('C3: sockets per IP and per user are capped (429 at the handshake / TOO_MANY_CONNECTIONS then 1008)', async () => {
    // Per user: 2 × DEVICE_LIMIT (1) + 0 extra = 2 sockets.
    relay = await startRelay({ env: { DEVICE_LIMIT: '1' }, ws: { maxConnectionsPerIp: 3, extraConnectionsPerUser: 0 } });
    const user = await registerUser(relay.http);
    const a = await connectClient(relay.ws, 'cap-a', user.token);
    const b = await connectClient(relay.ws, 'cap-b', user.token);
    const third = new WsProbe(`${relay.ws}/ws/client/cap-c`);
    await third.opened;
    third.send({ type: 'auth', token: user.token });
    expect(await third.next()).toEqual({ status: 'error', error: 'TOO_MANY_CONNECTIONS', message: 'Too many open connections' });
    expect((await third.closed).code).toBe(1008);
    const c = new WsProbe(`${relay.ws}/ws/client/cap-d`);
    await c.opened; // third IP slot (the refused socket above has closed)
    const fourth = new WsProbe(`${relay.ws}/ws/client/cap-e`);
    await expect(fourth.opened).rejects.toThrow();
    expect(fourth.unexpectedResponse).toBe(429);
    // Slots come back when sockets close.
    a.probe.close();
    await a.probe.closed;
    await sleep(50);
    const again = await connectClient(relay.ws, 'cap-f', user.token);
    expect(again.welcome.type).toBe('welcome');
    [b.probe, c, again.probe].forEach((p) => p.close());
  });

  it('C4/F6: a peer that stops answering pings is terminated within two intervals; a live one stays', async () => {
    relay = await startRelay({ ws: { pingIntervalMs: 100 } });
    const user = await registerUser(relay.http);
    const { probe: live } = await connectClient(relay.ws, 'live', user.token);
    const { probe: dead } = await connectClient(relay.ws, 'dead', user.token);
    expect(relay.app.openSockets()).toBe(2);
    // Stop reading: pings are never seen, so no pong is ever sent ("pulled cord").
    (dead.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    expect(await until(() => relay!.app.openSockets() === 1, 1500)).toBe(true);
    await sleep(300);
    expect(live.socket.readyState).toBe(live.socket.OPEN);
    live.close();
  });

  it('B26/B24: binary frames get an error frame and the socket stays; invalid UTF-8 text closes 1007', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    const { probe } = await connectClient(relay.ws, 'bin', user.token);
    probe.socket.send(Buffer.from('{"device_id":"x"}'), { binary: true });
    expect(await probe.next()).toMatchObject({ status: 'error', error: 'INVALID_JSON' });
    probe.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await probe.closed).code).toBe(1007);
  });

  it('B17: a socket opened with a JWT is closed 1008 when the JWT expires', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    const key = deriveKeys(new TextEncoder().encode(TEST_SECRET)).jwt;
    const exp = Math.floor(Date.now() / 1000) + 2;
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(user.id)).setIssuedAt()
      .setExpirationTime(exp).setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(key);
    const { probe, welcome } = await connectClient(relay.ws, 'jwt-exp', jwt);
    expect(welcome.type).toBe('welcome');
    const closed = await probe.closed;
    expect(closed.code).toBe(1008);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
  });
});

describe('database faults', () => {
  it('F10: disk full → push answers 503 queue_unavailable; live forwarding continues; writes resume after', async () => {
    relay = await startRelay({ env: { QUEUE_CAP: '10000' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLF0110FF');
    await registerDevice(relay.http, user.token, 'WLF011004');
    const device = await connectDevice(relay.ws, 'WLF011004', user.token);
    const { db } = relay.app.store as SqliteStore;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const big = commandPacket(deviceToken, 'WLF0110FF', 'ping', 'fill', { pad: 'p'.repeat(300) });
    let full: { status: number; body: any; headers: Headers } | undefined;
    for (let i = 0; i < 200 && !full; i += 1) {
      const res = await api(relay.http, 'POST', '/api/push', { token: user.token, body: big });
      if (res.status !== 200) full = res;
    }
    expect(full?.status).toBe(503);
    expect(full?.body.error).toBe('queue_unavailable');
    expect(full?.headers.get('retry-after')).toBe('1');
    const live = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, 'WLF011004', 'ping', 'live') });
    expect(live.body.delivered_via_ws).toBe(true);
    expect(open(deviceToken, await device.probe.next()).request_id).toBe('live');
    db.pragma('max_page_count = 1073741823');
    const again = await api(relay.http, 'POST', '/api/push', { token: user.token, body: big });
    expect(again.status).toBe(200);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    device.probe.close();
  });
});

describe('database locked (F9)', () => {
  it('a write blocked past busy_timeout answers 503 + Retry-After, the relay survives and recovers', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL10C0FF');
    await registerDevice(relay.http, user.token, 'WL10C004');
    const device = await connectDevice(relay.ws, 'WL10C004', user.token);
    const locker = new Database(relay.dbFile);
    locker.exec('BEGIN EXCLUSIVE');
    const release = setTimeout(() => locker.exec('COMMIT'), 3000);
    try {
      const blocked = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, 'WL10C0FF', 'ping', 'lk') });
      expect(blocked.status).toBe(503);
      expect(blocked.body.error).toBe('queue_unavailable');
      expect(blocked.headers.get('retry-after')).toBe('1');
      // Live forwarding needs no write and still works while the lock is held.
      const live = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, 'WL10C004', 'ping', 'lv') });
      expect(live.body.delivered_via_ws).toBe(true);
      expect(open(deviceToken, await device.probe.next()).request_id).toBe('lv');
    } finally {
      clearTimeout(release);
      if (locker.inTransaction) locker.exec('COMMIT');
      locker.close();
    }
    const after = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, 'WL10C0FF', 'ping', 'lk2') });
    expect(after.status).toBe(200);
    expect(after.body.queued).toBe(true);
    device.probe.close();
  });
});

describe('logs', () => {
  it('pino logs never contain API tokens, JWTs, passwords, payloads or signatures', async () => {
    let logText = '';
    const stream = new Writable({ write(chunk, _enc, done) { logText += chunk.toString(); done(); } });
    relay = await startRelay({ logger: { ...(loggerOptions('trace') as object), stream } });
    const user = await registerUser(relay.http);
    const login = await api(relay.http, 'POST', '/auth/login', { body: { username: user.username, password: user.password } });
    await registerDevice(relay.http, user.token, 'WL1061', deviceToken);
    const device = await connectDevice(relay.ws, 'WL1061', user.token);
    const headerSocket = new WsProbe(`${relay.ws}/ws/client/logc`, { headers: { 'X-API-Token': user.token } });
    await headerSocket.opened;
    await headerSocket.next();
    const command = commandPacket(deviceToken, 'WL1061', 'ping', 'log1');
    await api(relay.http, 'POST', '/api/push', { token: login.body.access_token, body: command });
    // Only refused and slow requests are logged: this one carries a JWT and a sealed packet.
    await api(relay.http, 'POST', '/api/push', { token: login.body.access_token, body: { ...command, device_id: 'WL106A' } });
    await device.probe.next();
    const reply = responsePacket(deviceToken, 'WL1061', { status: 'success', request_id: 'log1' });
    device.probe.send(reply);
    await api(relay.http, 'POST', '/api/pull', { token: user.token, body: { device_id: 'WL1061', wait: 2 } });
    await api(relay.http, 'POST', '/auth/login', { body: { username: user.username, password: 'wrong password!' } });
    device.probe.close();
    headerSocket.close();
    await sleep(100);
    expect(logText).toContain('ws_device_open');
    expect(logText).toContain('"url":"/api/push"');
    for (const secret of [user.token, login.body.access_token, user.password, 'wrong password!', deviceToken, command.payload, command.signature, reply.payload]) {
      expect(logText).not.toContain(secret);
    }
  });
});
