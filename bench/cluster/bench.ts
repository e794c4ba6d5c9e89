/**
 * `npm run bench -- --cluster` (issue 15): what a cross-instance round trip costs against a
 * same-instance one, measured in the same run on a real redis-server and PostgreSQL (started on
 * free loopback ports, as the cluster tests do). Two relay instances A and B; boards on B; v1.0
 * clients on B (same instance) or on A (cross instance), closed loop: each client sends a command,
 * the board answers at once, the client waits for the ACK and the reply before the next one.
 * Phases alternate (same, cross, same, cross) so drift hits both. Relay CPU is read from /proc for
 * both instances (and Redis separately); idle memory per connection compares a relay with Redis
 * attached against one without, same store, same sockets.
 */
import { readFileSync } from 'node:fs';
import { registerUser, api } from '../../test/relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../../test/relay/helpers/packets';
import { connectBoard } from '../../test/relay/helpers/routing';
import { connectClient, type WsProbe } from '../../test/relay/helpers/ws';
import { RedisServer, startInstance, stopInstance, tempDir, type RelayInstance } from '../../test/cluster/harness';
import { clusterStoreEnv } from '../../test/cluster/store';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const LIMITS_ENV = {
  WS_MESSAGES_PER_SECOND: '100000', WS_MESSAGE_BURST: '100000', DEVICE_MESSAGES_PER_SECOND: '100000', DEVICE_MESSAGE_BURST: '100000',
  DEVICE_UNSOLICITED_BURST: '100000',
};

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
const fmt = (n: number, digits = 0) => Number(n.toFixed(digits));

interface Pair { client: WsProbe; deviceId: string; token: string }

async function closedLoop(pairs: Pair[], seconds: number): Promise<{ roundTrips: number; latencies: number[] }> {
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  let counter = 0;
  await Promise.all(pairs.map(async ({ client, deviceId, token }) => {
    while (Date.now() < deadline) {
      const started = process.hrtime.bigint();
      client.send(commandPacket(token, deviceId, 'ping', `b${counter++}`));
      await client.next(10_000);
      await client.next(10_000);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }));
  return { roundTrips: latencies.length, latencies };
}

export async function benchCluster(smoke: boolean): Promise<void> {
  const seconds = smoke ? 1 : 8;
  const pairsCount = smoke ? 4 : 20;
  const idleSockets = smoke ? 100 : 2000;
  const redis = await RedisServer.start();
  const store = await clusterStoreEnv(tempDir('wl-bench-cluster-'));
  const env = { REDIS_URL: redis.url, ...store.env, ...LIMITS_ENV, WS_CONNECTIONS_PER_IP: '100000', WS_EXTRA_CONNECTIONS_PER_USER: '100000' };
  const a = await startInstance('a', env);
  const b = await startInstance('b', env);
  const redisPid = (redis as unknown as { child: { pid: number } }).child.pid;
  const instances: RelayInstance[] = [a, b];
  try {
    const user = await registerUser(a.http);
    const pairsOn = async (clientsOn: RelayInstance, tag: string): Promise<Pair[]> => Promise.all(Array.from({ length: pairsCount }, async (_, i) => {
      const deviceId = `WL${tag}${i.toString(16).toUpperCase().padStart(4, '0')}`;
      const token = newDeviceToken();
      const board = await connectBoard(b, user.token, deviceId);
      board.probe.socket.on('message', (data) => {
        const text = data.toString();
        if (text.includes('"type"')) return;
        board.probe.send(responsePacket(token, deviceId, { status: 'success', request_id: open(token, text).request_id }));
      });
      const client = (await connectClient(clientsOn.ws, `cli_${tag}${i}`, user.token)).probe;
      return { client, deviceId, token };
    }));
    const same = await pairsOn(b, 'A0');
    const cross = await pairsOn(a, 'B0');
    await closedLoop(same, smoke ? 0.5 : 2); // warm-up
    await closedLoop(cross, smoke ? 0.5 : 2);
    const totals = { same: { rt: 0, cpu: 0, redis: 0, lat: [] as number[], seconds: 0 }, cross: { rt: 0, cpu: 0, redis: 0, lat: [] as number[], seconds: 0 } };
    for (const phase of ['same', 'cross', 'same', 'cross'] as const) {
      const cpuBefore = cpuMicros(a.child.pid!) + cpuMicros(b.child.pid!);
      const redisBefore = cpuMicros(redisPid);
      const started = Date.now();
      const result = await closedLoop(phase === 'same' ? same : cross, seconds);
      const t = totals[phase];
      t.seconds += (Date.now() - started) / 1000;
      t.rt += result.roundTrips;
      t.cpu += cpuMicros(a.child.pid!) + cpuMicros(b.child.pid!) - cpuBefore;
      t.redis += cpuMicros(redisPid) - redisBefore;
      t.lat.push(...result.latencies);
    }
    const row = (name: string, t: typeof totals.same) => {
      const sorted = [...t.lat].sort((x, y) => x - y);
      return {
        path: name, 'round trips/s': fmt(t.rt / t.seconds), 'p50 ms': fmt(percentile(sorted, 0.5), 2), 'p99 ms': fmt(percentile(sorted, 0.99), 2),
        'relay CPU µs/rt (A+B)': fmt(t.cpu / t.rt, 1), 'redis CPU µs/rt': fmt(t.redis / t.rt, 1),
      };
    };
    const sameRow = row('client and board on B (same instance)', totals.same);
    const crossRow = row('client on A, board on B (cross instance)', totals.cross);
    console.log(`\nCluster: v1.0 WS round trips, ${pairsCount} client/board pairs, closed loop, 2 × ${seconds} s per path (Redis + ${store.postgres ? 'PostgreSQL' : 'SQLite'})`);
    console.table([sameRow, crossRow]);
    console.log(`cross / same: relay CPU ${fmt(crossRow['relay CPU µs/rt (A+B)'] / sameRow['relay CPU µs/rt (A+B)'], 2)}× (target ≤ 1.5×), `
      + `p50 +${fmt(crossRow['p50 ms'] - sameRow['p50 ms'], 2)} ms under load (the one-pair figure below is the hop itself), round trips/s ${fmt(crossRow['round trips/s'] / sameRow['round trips/s'], 2)}×`);
    // Latency alone: one pair at a time, so the figure is the hop, not the queueing of a saturated 2-core machine.
    const alone = { same: [] as number[], cross: [] as number[] };
    for (const phase of ['same', 'cross', 'same', 'cross'] as const) {
      alone[phase].push(...(await closedLoop((phase === 'same' ? same : cross).slice(0, 1), smoke ? 0.5 : seconds / 2)).latencies);
    }
    const quantiles = (values: number[]) => {
      const sorted = [...values].sort((x, y) => x - y);
      return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    };
    const sameAlone = quantiles(alone.same);
    const crossAlone = quantiles(alone.cross);
    console.log(`\nOne pair alone (closed loop, 2 × ${smoke ? 0.5 : seconds / 2} s per path): same instance p50 ${fmt(sameAlone.p50, 2)} ms, p99 ${fmt(sameAlone.p99, 2)} ms; `
      + `cross instance p50 ${fmt(crossAlone.p50, 2)} ms, p99 ${fmt(crossAlone.p99, 2)} ms; cross adds p50 +${fmt(crossAlone.p50 - sameAlone.p50, 2)} ms (target ≤ +1 ms)`);
    for (const pair of [...same, ...cross]) pair.client.close();

    // Idle memory per connection: two fresh instances (no load history), one with Redis attached, one without.
    const idleEnv = { ...store.env, ...LIMITS_ENV, WS_CONNECTIONS_PER_IP: '100000', WS_EXTRA_CONNECTIONS_PER_USER: '100000' };
    const attached = await startInstance('idle-redis', { ...idleEnv, REDIS_URL: redis.url });
    const local = await startInstance('idle-local', { ...idleEnv, REDIS_URL: '' });
    instances.push(attached, local);
    const idle = async (relay: RelayInstance) => {
      const sockets: WsProbe[] = [];
      const before = rssBytes(relay.child.pid!);
      for (let i = 0; i < idleSockets; i += 50) {
        sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, idleSockets - i) }, (_, j) => connectClient(relay.ws, `cli_idle${i + j}`, user.token)))).map((c) => c.probe));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const perConnection = (rssBytes(relay.child.pid!) - before) / idleSockets;
      for (const socket of sockets) socket.close();
      await new Promise((r) => setTimeout(r, 500));
      return perConnection;
    };
    const withRedis = await idle(attached);
    const without = await idle(local);
    console.log(`\nIdle: ${idleSockets} authenticated client sockets`);
    console.table([
      { relay: 'with Redis (presence in Redis, pub/sub attached)', 'RSS B/conn': fmt(withRedis) },
      { relay: 'without Redis (in-process backplane)', 'RSS B/conn': fmt(without) },
    ]);
    console.log(`with / without: ${fmt(withRedis / without, 2)}×`);
    const health = await api(b.http, 'GET', '/api/health');
    if (health.status !== 200) throw new Error(`instance b unhealthy after the run: ${JSON.stringify(health.body)}`);
  } finally {
    await Promise.all(instances.map((instance) => stopInstance(instance)));
    await redis.destroy();
    await store.destroy();
  }
}
