/**
 * Every routing path with client and board on different relay instances (issue 15): three real
 * relay processes on one Redis and one database, no sticky anything. A client on A reaches a
 * board on B by v1.0 WebSocket, HTTP push and long-poll pull, routing `command` frames, messages
 * with acks, events and signaling; presence is cluster-wide; a revoked token closes its sockets
 * on every instance within a second.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from '../relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../relay/helpers/packets';
import { connectBoard, connectSubscriber, createEndpoint, expectFrame } from '../relay/helpers/routing';
import { connectClient, connectDevice } from '../relay/helpers/ws';
import { spawnRelay } from '../relay/helpers/child';
import { TEST_SECRET } from '../relay/helpers/relay';
import { RedisServer, startInstance, stopInstance, tempDir, until, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

let redis: RedisServer;
let store: ClusterStore;
let a: RelayInstance;
let b: RelayInstance;
let c: RelayInstance;
let user: TestUser;
let serial = 0;
const nextDevice = () => `WL${(process.pid % 0xffff).toString(16).toUpperCase()}${(++serial).toString(16).toUpperCase().padStart(4, "0")}`;

beforeAll(async () => {
  redis = await RedisServer.start();
  store = await clusterStoreEnv(tempDir('wl-cluster-'));
  a = await startInstance('a', { REDIS_URL: redis.url, ...store.env });
  [b, c] = await Promise.all([startInstance('b', { REDIS_URL: redis.url, ...store.env }), startInstance('c', { REDIS_URL: redis.url, ...store.env })]);
  user = await registerUser(a.http);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, c].filter(Boolean).map((instance) => stopInstance(instance)));
  await redis?.destroy();
  await store?.destroy();
});

/** A board that answers each command it gets, on whichever socket it has. */
function answerCommands(probe: { socket: import('ws').WebSocket; send(value: unknown): void }, token: string, deviceId: string): void {
  probe.socket.on('message', (data) => {
    const text = data.toString();
    if (text.includes('"type"')) return;
    const inner = open(token, text);
    probe.send(responsePacket(token, deviceId, { status: 'success', request_id: inner.request_id, echo: inner.command }));
  });
}

/** A new board on B that answers every command, and a v1.0 client socket on A. */
async function answeringBoardOnB(clientId: string) {
  const deviceId = nextDevice();
  const token = newDeviceToken();
  const board = await connectBoard(b, user.token, deviceId);
  answerCommands(board.probe, token, deviceId);
  const client = await connectClient(a.ws, clientId, user.token);
  return { deviceId, token, board, client };
}

describe('cluster: client and board on different instances', () => {
  it('health names the instance and reports Redis ok', async () => {
    for (const instance of [a, b, c]) {
      const health = await api(instance.http, 'GET', '/api/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'healthy', redis: 'ok', instance: instance.name });
    }
  });

  it('presence is cluster-wide: a watcher on A sees a board on B come online and go offline', async () => {
    const watcher = await connectSubscriber(a.ws, 'watch-presence', user.token, 'boards');
    const deviceId = nextDevice();
    const board = await connectBoard(b, user.token, deviceId);
    const online = await expectFrame(watcher.probe, 'presence');
    expect(online).toMatchObject({ endpoint: board.endpoint, device_id: deviceId, online: true });
    // Listing from a third instance sees it online too.
    const listed = await api(c.http, 'GET', '/api/endpoints', { token: user.token });
    expect(listed.body.endpoints.find((e: { id: string }) => e.id === board.endpoint)).toMatchObject({ online: true });
    board.probe.close();
    expect(await expectFrame(watcher.probe, 'presence')).toMatchObject({ endpoint: board.endpoint, online: false });
    watcher.probe.close();
  });

  it('v1.0 WebSocket: a packet from a client on A reaches the board on B; ACK and reply come back to A', async () => {
    const { deviceId, token, board, client } = await answeringBoardOnB('cli_cross');
    client.probe.send(commandPacket(token, deviceId, 'ping', 'x1'));
    const frames = [await client.probe.next(), await client.probe.next()];
    expect(frames.find((f) => f.status === 'success')).toMatchObject({ device_id: deviceId, delivered: true, queued: false });
    const reply = frames.find((f) => f.payload !== undefined);
    expect(open(token, reply)).toMatchObject({ request_id: 'x1', echo: 'ping' });
    client.probe.close();
    board.probe.close();
  });

  it('the audit log of commands routed across instances is in the shared database, read from any instance; the store stays healthy', async () => {
    const { deviceId, token, board, client } = await answeringBoardOnB('cli_audit');
    // Sent at once, so A's history batch holds them together (multi-row INSERTs on this store too).
    const count = 12;
    for (let i = 0; i < count; i++) client.probe.send(commandPacket(token, deviceId, 'ping', `au${i}`));
    for (let i = 0; i < 2 * count; i++) await client.probe.next();
    for (const instance of [a, c]) {
      const listed = await api(instance.http, 'GET', `/api/history?endpoint=${deviceId}&limit=50`, { token: user.token });
      expect(listed.status).toBe(200);
      const commands = (listed.body.entries as { kind: string; status: string; meta: { client_id?: string } }[]).filter((e) => e.kind === 'command');
      expect(commands).toHaveLength(count);
      expect(commands.every((e) => e.status === 'delivered' && e.meta.client_id === 'cli_audit')).toBe(true);
    }
    expect((await api(a.http, 'GET', '/api/health')).body).toMatchObject({ status: 'healthy' });
    client.probe.close();
    board.probe.close();
  });

  it('another account\'s client on A gets DEVICE_NOT_FOUND for a board on B (ownership is checked where the board is), and the board gets nothing', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    const board = await connectBoard(b, user.token, deviceId);
    const stranger = await registerUser(a.http);
    const client = await connectClient(a.ws, 'cli_stranger', stranger.token);
    client.probe.send(commandPacket(token, deviceId, 'wake', 's1'));
    expect(await client.probe.next()).toMatchObject({ status: 'error', error: 'DEVICE_NOT_FOUND' });
    const push = await api(c.http, 'POST', '/api/push', { token: stranger.token, body: commandPacket(token, deviceId, 'wake', 's2') });
    expect(push.status).toBe(404);
    expect(push.body.error).toBe('DEVICE_NOT_FOUND');
    // The same answers as for a board that does not exist at all.
    client.probe.send(commandPacket(token, 'WLFFFFFFFF', 'wake', 's3'));
    expect(await client.probe.next()).toMatchObject({ status: 'error', error: 'DEVICE_NOT_FOUND' });
    expect(await board.probe.nothingFor(300)).toBe(true);
    client.probe.close();
    board.probe.close();
  });

  it('a board deleted on C: its socket on B closes at once (4004); added again (a new endpoint id) it is reached live from A', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    const first = await connectBoard(b, user.token, deviceId);
    answerCommands(first.probe, token, deviceId);
    const client = await connectClient(a.ws, 'cli_readd', user.token);
    client.probe.send(commandPacket(token, deviceId, 'ping', 'r1'));
    expect([await client.probe.next(), await client.probe.next()].find((f) => f.status === 'success')).toMatchObject({ delivered: true });
    expect((await api(c.http, 'POST', '/api/delete_device', { token: user.token, body: { device_id: deviceId } })).status).toBe(200);
    const deletedAt = Date.now();
    expect((await first.probe.closed).code).toBe(4004);
    expect(Date.now() - deletedAt).toBeLessThan(1000);
    const again = await connectBoard(b, user.token, deviceId);
    expect(again.endpoint).not.toBe(first.endpoint);
    answerCommands(again.probe, token, deviceId);
    client.probe.send(commandPacket(token, deviceId, 'ping', 'r2'));
    const frames = [await client.probe.next(), await client.probe.next()];
    expect(frames.find((f) => f.status === 'success')).toMatchObject({ device_id: deviceId, delivered: true, queued: false });
    expect(open(token, frames.find((f) => f.payload !== undefined))).toMatchObject({ request_id: 'r2' });
    client.probe.close();
    again.probe.close();
  });

  it('routing `command` frame from C to a board on A: delivered ack, then the response frame naming the board', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    const board = await connectBoard(a, user.token, deviceId);
    answerCommands(board.probe, token, deviceId);
    const client = await connectClient(c.ws, 'cli_cmdframe', user.token);
    client.probe.send({ type: 'command', to: deviceId, id: 'k1', packet: commandPacket(token, deviceId, 'ping', 'k1') });
    const frames = [await client.probe.next(), await client.probe.next()];
    expect(frames.find((f) => f.type === 'ack')).toMatchObject({ id: 'k1' });
    const response = frames.find((f) => f.type === 'response');
    expect(response).toMatchObject({ from: board.endpoint, id: 'k1' });
    client.probe.close();
    board.probe.close();
  });

  it('HTTP push to C with the board on B is forwarded live; the reply is pulled on A', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    const board = await connectBoard(b, user.token, deviceId);
    answerCommands(board.probe, token, deviceId);
    const pulling = api(a.http, 'POST', '/api/pull', { token: user.token, body: { device_id: deviceId, wait: 5 } });
    const push = await api(c.http, 'POST', '/api/push', { token: user.token, body: commandPacket(token, deviceId, 'ping', 'h1') });
    expect(push.body).toMatchObject({ delivered_via_ws: true, queued: false });
    const pulled = await pulling;
    expect(pulled.body.count).toBe(1);
    const [message] = pulled.body.messages;
    expect(open(token, { version: '1.0', device_id: deviceId, payload: message.payload, signature: message.signature } as never)).toMatchObject({ request_id: 'h1' });
    board.probe.close();
  });

  it('a command queued while the board is offline is delivered when it connects to another instance', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    await api(a.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: deviceId, device_data: { name: 'q' } } });
    const push = await api(a.http, 'POST', '/api/push', { token: user.token, body: commandPacket(token, deviceId, 'wake', 'q1') });
    expect(push.body).toMatchObject({ delivered_via_ws: false, queued: true });
    const { probe } = await connectDevice(c.ws, deviceId, user.token);
    expect(open(token, await probe.next())).toMatchObject({ command: 'wake', request_id: 'q1' });
    probe.close();
  });

  it('a v1.0 client on A queues a command for an offline board; the board connects to B and its reply reaches the client\'s socket on A', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    await api(a.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: deviceId, device_data: { name: 'qr' } } });
    const client = await connectClient(a.ws, 'cli_queued_reply', user.token);
    client.probe.send(commandPacket(token, deviceId, 'wake', 'qr1'));
    expect(await client.probe.next()).toMatchObject({ status: 'success', delivered: false, queued: true });
    const board = await connectBoard(b, user.token, deviceId);
    expect(open(token, await board.probe.next())).toMatchObject({ command: 'wake', request_id: 'qr1' });
    board.probe.send(responsePacket(token, deviceId, { status: 'success', request_id: 'qr1', echo: 'wake' }));
    expect(open(token, await client.probe.next(5000))).toMatchObject({ request_id: 'qr1', echo: 'wake' });
    // Not also kept for HTTP pulling.
    expect((await api(c.http, 'POST', '/api/pull', { token: user.token, body: { device_id: deviceId, wait: 0 } })).body.count).toBe(0);
    client.probe.close();
    board.probe.close();
  });

  it('a command queued on A while the board\'s registration on B is held up in Redis is still written to it', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    await api(a.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: deviceId, device_data: { name: 'w' } } });
    // Redis holds every write for 400 ms (reads go on): B's registration of the board waits.
    const admin = new Redis(redis.url);
    await admin.call('CLIENT', 'PAUSE', '400', 'WRITE');
    const { probe } = await connectDevice(b.ws, deviceId, user.token);
    // A cannot find the board on any instance yet: the push is queued.
    const push = await api(a.http, 'POST', '/api/push', { token: user.token, body: commandPacket(token, deviceId, 'wake', 'w1') });
    expect(push.body).toMatchObject({ delivered_via_ws: false, queued: true });
    admin.disconnect();
    expect(open(token, await probe.next(3000))).toMatchObject({ command: 'wake', request_id: 'w1' });
    probe.close();
  });

  it('a command queued on A while the board is already on B is written to it at once', async () => {
    const deviceId = nextDevice();
    const token = newDeviceToken();
    const board = await connectBoard(b, user.token, deviceId);
    // Several pushes at once from two instances: each reaches the board exactly once.
    const pushes = await Promise.all([1, 2, 3, 4].map((i) => api(i % 2 ? a.http : c.http, 'POST', '/api/push', { token: user.token, body: commandPacket(token, deviceId, 'ping', `p${i}`) })));
    expect(pushes.every((p) => p.status === 200)).toBe(true);
    const got = new Set<string>();
    for (let i = 0; i < 4; i += 1) got.add(String(open(token, await board.probe.next()).request_id));
    expect([...got].sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(await board.probe.nothingFor(300)).toBe(true);
    board.probe.close();
  });

  it('events fan out to subscribers on every instance, never to another account', async () => {
    const other = await registerUser(c.http);
    const deviceId = nextDevice();
    const board = await connectBoard(b, user.token, deviceId);
    const watchers = await Promise.all([a, b, c].map((instance, i) => connectSubscriber(instance.ws, `watch-ev-${i}`, user.token, 'boards')));
    const stranger = await connectSubscriber(a.ws, 'watch-stranger', other.token, '*');
    board.probe.send({ type: 'event', event: 'wake.confirmed', content: { target: 'nas', up: true } });
    for (const watcher of watchers) {
      expect(await expectFrame(watcher.probe, 'event')).toMatchObject({ from: board.endpoint, event: 'wake.confirmed', content: { target: 'nas', up: true } });
    }
    expect(await stranger.probe.nothingFor(300)).toBe(true);
    [...watchers.map((w) => w.probe), stranger.probe, board.probe].forEach((p) => p.close());
  });

  it('messages from A to an endpoint on C, with the receipt and the ack routed back to A', async () => {
    const phone = await createEndpoint(a.http, user.token, { kind: 'app', name: 'phone' });
    const desktop = await createEndpoint(a.http, user.token, { kind: 'host', name: 'desktop' });
    const sender = (await connectClient(a.ws, phone.id, user.token)).probe;
    const recipient = (await connectClient(c.ws, desktop.id, user.token)).probe;
    sender.send({ type: 'message', to: desktop.id, msgid: 'm1', acknowledge: true, content: { hello: 1 } });
    expect(await expectFrame(recipient, 'message')).toMatchObject({ from: phone.id, msgid: 'm1', content: { hello: 1 } });
    expect(await expectFrame(sender, 'receipt')).toMatchObject({ msgid: 'm1', status: 'delivered' });
    recipient.send({ type: 'ack', msgid: 'm1', status: 'ok' });
    expect(await expectFrame(sender, 'ack')).toMatchObject({ msgid: 'm1', from: desktop.id });
    sender.close();
    recipient.close();
  });

  it('signaling from B to an endpoint on A: the offer arrives and the sender gets its delivered ack', async () => {
    const left = await createEndpoint(a.http, user.token, { kind: 'browser', name: 'left' });
    const right = await createEndpoint(a.http, user.token, { kind: 'browser', name: 'right' });
    const caller = (await connectClient(b.ws, left.id, user.token)).probe;
    const callee = (await connectClient(a.ws, right.id, user.token)).probe;
    caller.send({ type: 'offer', target_device_id: right.id, id: 'o1', payload: { type: 'offer', sdp: 'v=0' } });
    expect(await expectFrame(callee, 'offer')).toMatchObject({ from: left.id, payload: { type: 'offer', sdp: 'v=0' } });
    expect(await expectFrame(caller, 'ack')).toMatchObject({ id: 'o1' });
    caller.close();
    callee.close();
  });

  it('F12 across instances: a board reconnecting on C replaces its socket on A (4001), and subscribers see no offline', async () => {
    const deviceId = nextDevice();
    const watcher = await connectSubscriber(b.ws, 'watch-f12', user.token, 'boards');
    const first = await connectBoard(a, user.token, deviceId);
    await expectFrame(watcher.probe, 'presence');
    const second = await connectDevice(c.ws, deviceId, user.token);
    expect((await first.probe.closed).code).toBe(4001);
    // The older socket's close is not the endpoint's: no offline frame.
    const frames: any[] = [];
    while (!(await watcher.probe.nothingFor(300))) frames.push(await watcher.probe.next());
    expect(frames.filter((f) => f.type === 'presence' && f.online === false)).toEqual([]);
    const listed = await api(a.http, 'GET', `/api/endpoints/${deviceId}`, { token: user.token });
    expect(listed.body.online).toBe(true);
    second.probe.close();
    watcher.probe.close();
  });

  it('revoking a token on A closes its sockets on A, B and C within a second', async () => {
    const created = await api(a.http, 'POST', '/api/tokens', { token: user.token, body: { name: 'revoke-me' } });
    const token = created.body.token as string;
    const sockets = await Promise.all([a, b, c].map((instance, i) => connectClient(instance.ws, `cli_rev${i}`, token)));
    const deviceId = nextDevice();
    const board = await connectBoard(c, token, deviceId);
    const started = Date.now();
    expect((await api(a.http, 'DELETE', `/api/tokens/${created.body.id}`, { token: user.token })).status).toBe(200);
    const closes = await Promise.all([...sockets.map((s) => s.probe.closed), board.probe.closed]);
    const elapsed = Date.now() - started;
    expect(closes.map((close) => close.code)).toEqual([1008, 1008, 1008, 1008]);
    expect(elapsed).toBeLessThan(1000);
    // And no instance accepts it any more (no cached principal).
    for (const instance of [a, b, c]) expect((await api(instance.http, 'GET', '/api/devices', { token })).status).toBe(401);
  });
});

describe('cluster: shared throttles', () => {
  it('failed logins counted on every instance: five wrong passwords spread over A, B and C, and the next try anywhere is 429', async () => {
    const victim = await registerUser(a.http);
    const instances = [a, b, c];
    for (let i = 0; i < 5; i += 1) {
      const res = await api(instances[i % 3]!.http, 'POST', '/auth/login', { body: { username: victim.username, password: 'wrong password here' } });
      expect(res.status).toBe(401);
    }
    await until('the failures to reach every instance', async () => (await api(c.http, 'POST', '/auth/login', { body: { username: victim.username, password: victim.password } })).status === 429, 2000);
    const refused = await api(b.http, 'POST', '/auth/login', { body: { username: victim.username, password: victim.password } });
    expect(refused.status).toBe(429);
  });
});

/** Starts an instance that must refuse to start: its exit code and what it printed. */
async function refusedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dir = tempDir('wl-badstart-');
  const relay = spawnRelay({ CLOUD_PORT: '0', HOST: '127.0.0.1', SECRET_KEY: TEST_SECRET, DATABASE_FILE: `${dir}/relay.db`, ...env });
  const { code } = await relay.exited;
  return { code, stderr: relay.stderr() };
}

describe('cluster: configuration errors are clear at start', () => {
  it('an unreachable REDIS_URL: exit 5 with the cause, no password printed', async () => {
    const result = await refusedStart({ REDIS_URL: 'redis://:hunter2secret@127.0.0.1:1', REDIS_CONNECT_TIMEOUT_MS: '500' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('an unreachable DATABASE_URL: exit 3 with the cause, no password printed', async () => {
    const result = await refusedStart({ DATABASE_URL: 'postgres://wakelink:hunter2secret@127.0.0.1:1/wakelink', PG_CONNECT_TIMEOUT_MS: '500' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/database error: cannot use PostgreSQL at postgres:\/\/wakelink:\*\*\*@127\.0\.0\.1:1\/wakelink: ECONNREFUSED/);
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('a DATABASE_URL that is no postgres:// URL, or a REDIS_URL that is no redis:// URL: exit 2, configuration error', async () => {
    const pg = await refusedStart({ DATABASE_URL: 'mysql://127.0.0.1/x' });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toMatch(/configuration error: DATABASE_URL must start with postgres:\/\//);
    const redisUrl = await refusedStart({ REDIS_URL: 'http://127.0.0.1:6379' });
    expect(redisUrl.code).toBe(2);
    expect(redisUrl.stderr).toMatch(/configuration error: REDIS_URL must start with redis:\/\//);
  });
});
