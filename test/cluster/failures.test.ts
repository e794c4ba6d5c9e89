/**
 * What happens, measured, when a part of the cluster dies (issue 15): `kill -9` of the instance
 * holding a board in the middle of a command, and a Redis restart under load (no persistence:
 * it comes back empty). Nothing that was acknowledged `queued` or `delivered` may be lost.
 */
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from '../relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../relay/helpers/packets';
import { connectBoard, connectSubscriber, expectFrame } from '../relay/helpers/routing';
import { connectClient, connectDevice, type WsProbe } from '../relay/helpers/ws';
import { RedisServer, sleep, startInstance, stopInstance, tempDir, until, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

let redis: RedisServer;
let store: ClusterStore;
let instances: RelayInstance[] = [];
let user: TestUser;
let serial = 0;
const nextDevice = () => `WL${(0xa000 + (process.pid % 0xfff)).toString(16).toUpperCase()}${(++serial).toString(16).toUpperCase().padStart(4, '0')}`;
const env = () => ({ REDIS_URL: redis.url, REDIS_INSTANCE_TTL_MS: '1500', ...store.env });

beforeAll(async () => {
  redis = await RedisServer.start();
  store = await clusterStoreEnv(tempDir('wl-cluster-fail-'));
  instances.push(await startInstance('a', env()));
  instances.push(...(await Promise.all([startInstance('b', env()), startInstance('c', env())])));
  user = await registerUser(instances[0]!.http);
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => stopInstance(instance, 'SIGKILL')));
  await redis?.destroy();
  await store?.destroy();
});

/** Request ids of the commands a board socket received; it answers each, as firmware does. */
function collect(probe: WsProbe, token: string, deviceId: string, into: string[]): void {
  probe.socket.on('message', (data) => {
    const text = data.toString();
    if (text.includes('"type"')) return;
    const requestId = String(open(token, text).request_id);
    into.push(requestId);
    probe.send(responsePacket(token, deviceId, { status: 'success', request_id: requestId }));
  });
}

/**
 * A board on `on` that answers every command, and pushes to it over the instances of `via` in
 * turn, one every 5 ms, until stop(): which pushes were acknowledged (delivered or queued), which
 * refused, and which the board received.
 */
async function pushLoad(prefix: string, on: RelayInstance, via: RelayInstance[]) {
  const deviceId = nextDevice();
  const token = newDeviceToken();
  const board = await connectBoard(on, user.token, deviceId);
  const received: string[] = [];
  collect(board.probe, token, deviceId, received);
  const accepted: string[] = [];
  const refused: number[] = [];
  let stopped = false;
  let sent = 0;
  const running = (async () => {
    while (!stopped) {
      const id = `${prefix}${sent}`;
      const instance = via[sent++ % via.length]!;
      const res = await api(instance.http, 'POST', '/api/push', { token: user.token, body: commandPacket(token, deviceId, 'ping', id) }).catch(() => null);
      if (res?.status === 200 && (res.body.delivered_via_ws || res.body.queued)) accepted.push(id);
      else refused.push(res?.status ?? 0);
      await sleep(5);
    }
  })();
  const stop = async () => {
    stopped = true;
    await running;
  };
  return { deviceId, board, received, accepted, refused, sent: () => sent, stop };
}

describe('cluster: an instance dies', () => {
  it('kill -9 of the board\'s instance mid-command: the sender hears `undelivered` at once, the board gets the command again on another instance', async () => {
    const [a, b, c] = instances as [RelayInstance, RelayInstance, RelayInstance];
    const deviceId = nextDevice();
    const token = newDeviceToken();
    const watcher = await connectSubscriber(a.ws, 'watch-kill', user.token, 'boards');
    const board = await connectBoard(b, user.token, deviceId);
    await expectFrame(watcher.probe, 'presence');
    const client = await connectClient(a.ws, 'cli_kill', user.token);
    const packet = commandPacket(token, deviceId, 'wake', 'k9');
    client.probe.send(packet);
    expect(await client.probe.next()).toMatchObject({ status: 'success', delivered: true });
    // The board has it and has not answered yet: its instance dies.
    const first = await board.probe.nextText();
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await b.exited;
    const notice = await client.probe.next(8000);
    const heardAfter = Date.now() - killedAt;
    expect(notice).toMatchObject({ status: 'error', error: 'undelivered', device_id: deviceId, signature: packet.signature });
    // Watchers on other instances see the board go offline.
    expect(await expectFrame(watcher.probe, 'presence', 5000)).toMatchObject({ device_id: deviceId, online: false });
    await board.probe.closed;
    // The board reconnects elsewhere: the command it never answered comes again, same bytes (F4).
    const again = await connectDevice(c.ws, deviceId, user.token);
    expect(await again.probe.nextText()).toBe(first);
    // Its reply now goes to HTTP pulling (its sender was told it may or may not have run).
    again.probe.send(responsePacket(token, deviceId, { status: 'success', request_id: 'k9' }));
    const pulled = await api(a.http, 'POST', '/api/pull', { token: user.token, body: { device_id: deviceId, wait: 5 } });
    expect(pulled.body.count).toBe(1);
    console.log(`kill -9 of the board's instance: sender told undelivered after ${heardAfter} ms; watcher saw offline; command re-sent on reconnect`);
    again.probe.close();
    client.probe.close();
    watcher.probe.close();
    instances = instances.filter((instance) => instance !== b);
    instances.push(await startInstance('b2', env()));
  });

  it('Redis restart under load: every push acknowledged queued or delivered reaches the board; health says 503 with the cause, then recovers without a restart', async () => {
    const [a, c, b2] = instances as [RelayInstance, RelayInstance, RelayInstance];
    const { deviceId, board, received, accepted, refused, sent, stop } = await pushLoad('r', b2, [a, c]);
    await sleep(500);
    await redis.stop('SIGKILL');
    const down = await until('health 503', async () => {
      const health = await api(a.http, 'GET', '/api/health');
      return health.status === 503 ? health : null;
    }, 5000);
    expect(down.body).toMatchObject({ status: 'degraded', redis: 'error' });
    expect(down.body.cause).toMatch(/^redis: /);
    await sleep(1000);
    await redis.run();
    await until('health 200 on every instance', async () => {
      const all = await Promise.all([a, c, b2].map((instance) => api(instance.http, 'GET', '/api/health')));
      return all.every((health) => health.status === 200);
    }, 10_000);
    await sleep(1000);
    await stop();
    // Everything accepted arrives (at least once), within a few seconds of Redis being back.
    await until('every accepted command at the board', () => accepted.every((id) => received.includes(id)), 10_000);
    const missing = accepted.filter((id) => !received.includes(id));
    expect(missing).toEqual([]);
    expect(accepted.length).toBeGreaterThan(20);
    // Presence is back too: the board is listed online from another instance.
    const listed = await until('board online again', async () => {
      const res = await api(a.http, 'GET', `/api/endpoints/${deviceId}`, { token: user.token });
      return res.body.online === true ? res : null;
    }, 5000);
    expect(listed.body.online).toBe(true);
    const duplicates = received.length - new Set(received).size;
    console.log(`Redis restart under load: ${sent()} pushes, ${accepted.length} accepted, ${refused.length} refused (${[...new Set(refused)].join(', ')}), 0 lost, ${duplicates} delivered twice (at least once)`);
    board.probe.close();
  });

  it('a token revoked and a board deleted on A while Redis is away: their sockets on C close once Redis is back (a board added again meanwhile keeps its socket)', async () => {
    const [a, c] = instances as [RelayInstance, RelayInstance, RelayInstance];
    const created = await api(a.http, 'POST', '/api/tokens', { token: user.token, body: { name: 'revoked-offline' } });
    const token = created.body.token as string;
    const client = await connectClient(c.ws, 'cli_rev_offline', token);
    const deviceId = nextDevice();
    const board = await connectBoard(c, user.token, deviceId);
    await redis.stop('SIGKILL');
    await until('A to notice Redis is away', async () => (await api(a.http, 'GET', '/api/health')).status === 503, 5000);
    expect((await api(a.http, 'DELETE', `/api/tokens/${created.body.id}`, { token: user.token })).status).toBe(200);
    expect((await api(a.http, 'POST', '/api/delete_device', { token: user.token, body: { device_id: deviceId } })).status).toBe(200);
    // Another board deleted and added again in the outage: the late news of its deletion is not about the new one.
    // (C does not hear of it: the old socket, bound to the deleted device's endpoint, stays open until Redis is back.)
    const readded = nextDevice();
    const oldSocket = await connectBoard(c, user.token, readded);
    expect((await api(a.http, 'POST', '/api/delete_device', { token: user.token, body: { device_id: readded } })).status).toBe(200);
    const fresh = await connectBoard(c, user.token, readded);
    await sleep(500);
    await redis.run();
    const back = Date.now();
    const [clientClose, boardClose] = await Promise.all([client.probe.closed, board.probe.closed]);
    const after = Date.now() - back;
    expect(clientClose.code).toBe(1008);
    expect(boardClose.code).toBe(4004);
    expect(after).toBeLessThan(8000);
    console.log(`revocation and deletion made while Redis was away reached the other instance ${after} ms after Redis was back`);
    expect((await oldSocket.probe.closed).code).toBe(4004);
    await sleep(500);
    expect(fresh.probe.socket.readyState).toBe(WebSocket.OPEN);
    fresh.probe.close();
    await until('health 200 on every instance', async () => {
      const all = await Promise.all(instances.map((instance) => api(instance.http, 'GET', '/api/health')));
      return all.every((health) => health.status === 200);
    }, 10_000);
  });

  it('PostgreSQL restart (immediate shutdown, WAL recovery) under load: nothing acknowledged is lost; health 503 names the database, then recovers without a restart', async () => {
    if (!store.postgres) return; // WAKELINK_CLUSTER_STORE=sqlite: no server to restart
    const [a, c, b2] = instances as [RelayInstance, RelayInstance, RelayInstance];
    const { deviceId, board, received, accepted, refused, sent, stop } = await pushLoad('g', b2, [a, c]);
    await sleep(500);
    await store.postgres.stop('SIGQUIT');
    const down = await until('health 503', async () => {
      const health = await api(a.http, 'GET', '/api/health');
      return health.status === 503 ? health : null;
    }, 5000);
    expect(down.body.status).toBe('degraded');
    expect(down.body.database).not.toBe('ok');
    await sleep(1000);
    await store.postgres.run();
    await until('health 200 on every instance', async () => {
      const all = await Promise.all([a, c, b2].map((instance) => api(instance.http, 'GET', '/api/health')));
      return all.every((health) => health.status === 200);
    }, 15_000);
    await sleep(500);
    await stop();
    await until('every accepted command at the board', () => accepted.every((id) => received.includes(id)), 10_000);
    expect(accepted.filter((id) => !received.includes(id))).toEqual([]);
    expect(accepted.length).toBeGreaterThan(10);
    const duplicates = received.length - new Set(received).size;
    console.log(`PostgreSQL restart under load: ${sent()} pushes, ${accepted.length} accepted, ${refused.length} refused (${[...new Set(refused)].join(', ')}), 0 lost, ${duplicates} delivered twice; health cause while down: ${down.body.cause ?? down.body.database}`);
    board.probe.close();
  });
});
