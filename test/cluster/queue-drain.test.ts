/**
 * The durable queue on PostgreSQL with several instances taking from it (issue 15): two real
 * processes drain one board's queue while 1,000 commands are enqueued; each command is delivered
 * by exactly one of them (claims: SELECT … FOR UPDATE SKIP LOCKED), and none is lost. Then the
 * same through relays: 1,000 pushes through two instances to a board on a third, each received
 * exactly once.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../server/store/postgres/postgres-store';
import { api, registerUser } from '../relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../relay/helpers/packets';
import { connectBoard } from '../relay/helpers/routing';
import { PostgresServer, RedisServer, startInstance, stopInstance, until, type RelayInstance } from './harness';

const ROOT = resolve(import.meta.dirname, '../..');
let postgres: PostgresServer;
let store: PostgresStore;

beforeAll(async () => {
  postgres = await PostgresServer.start();
  store = createPostgresStore({ url: postgres.url, node: 'seed', queryTimeoutMs: 5000, connectTimeoutMs: 2000, claimLeaseMs: 60_000 });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await postgres?.destroy();
});

function competitor(node: string, deviceId: string): { ready: Promise<void>; done: Promise<number[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/workers/drain.ts', postgres.url, node, deviceId, '1500'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady: () => void;
  const ready = new Promise<void>((done) => (markReady = done));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number[]>((resolveIds, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`drain worker ${node} exited ${code}: ${err}`));
      else resolveIds(JSON.parse(out.trim().split('\n').pop()!) as number[]);
    });
  });
  return { ready, done };
}

describe('PostgreSQL queue: two instances draining concurrently', () => {
  it('1,000 commands, two competing processes: each delivered exactly once, none lost', async () => {
    const now = Date.now();
    const created = store.createUserWithToken({ username: 'drain', passwordHash: 'x', devicesLimit: 10 }, { tokenHash: 'h-drain', prefix: 'p', name: '' }, now)!;
    expect(store.registerDevice(created.user.id, 'WLD1A1', 'board', 10, now)).toBe('created');
    const first = competitor('w1', 'WLD1A1');
    const second = competitor('w2', 'WLD1A1');
    await Promise.all([first.ready, second.ready]);
    const enqueued: number[] = [];
    for (let batch = 0; batch < 100; batch += 1) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        store.enqueue({ deviceId: 'WLD1A1', payload: `p${batch * 10 + i}`, signature: `s${batch * 10 + i}` }, Date.now(), 600_000, 10_000)));
      for (const result of results) {
        expect(result.ok).toBe(true);
        if (result.ok) enqueued.push(result.id);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const [one, two] = await Promise.all([first.done, second.done]);
    const both = [...one, ...two];
    const overlap = one.filter((id) => two.includes(id));
    console.log(`queue drain: ${enqueued.length} enqueued; w1 delivered ${one.length}, w2 ${two.length}; overlap ${overlap.length}`);
    expect(overlap).toEqual([]);
    expect(new Set(both).size).toBe(both.length);
    expect([...both].sort((x, y) => x - y)).toEqual([...enqueued].sort((x, y) => x - y));
    // Both really competed.
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);
  });
});

describe('PostgreSQL queue through relays', () => {
  let redis: RedisServer;
  let instances: RelayInstance[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, DATABASE_URL: postgres.url, DATABASE_FILE: resolve(ROOT, 'node_modules/.cache/unused-cluster.db') };
    instances = await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, env)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => stopInstance(instance)));
    await redis?.destroy();
  });

  it('1,000 pushes through A and C to a board on B: each received exactly once, each answered', async () => {
    const [a, b, c] = instances as [RelayInstance, RelayInstance, RelayInstance];
    const user = await registerUser(a.http);
    const token = newDeviceToken();
    const deviceId = 'WLD1A2';
    const board = await connectBoard(b, user.token, deviceId);
    const received = new Map<string, number>();
    board.probe.socket.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"type"')) return;
      const id = String(open(token, text).request_id);
      received.set(id, (received.get(id) ?? 0) + 1);
      board.probe.send(responsePacket(token, deviceId, { status: 'success', request_id: id }));
    });
    const accepted: string[] = [];
    const TOTAL = 1000;
    const CONCURRENCY = 16;
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const id = `c${next++}`;
        const via = next % 2 ? a : c;
        const res = await api(via.http, 'POST', '/api/push', { token: user.token, body: commandPacket(token, deviceId, 'ping', id) });
        if (res.status === 200) accepted.push(id);
      }
    }));
    await until('every accepted command at the board', () => accepted.every((id) => received.has(id)), 20_000);
    const twice = [...received].filter(([, count]) => count > 1);
    console.log(`relay drain: ${TOTAL} pushes, ${accepted.length} accepted, ${received.size} received, ${twice.length} received twice`);
    expect(accepted.length).toBe(TOTAL);
    expect(twice).toEqual([]);
    expect(received.size).toBe(TOTAL);
    board.probe.close();
  });
});
