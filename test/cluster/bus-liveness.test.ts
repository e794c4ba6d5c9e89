/**
 * Instance liveness on the Redis bus (issue 15), on a real redis-server: every survivor hears that
 * an instance died, however the survivors' beats and the reaping of the dead one's member entry
 * interleave. The race that hid this: a survivor reaped the dead instance from the member set before
 * another survivor's beat first missed it; that one then never counted a second miss and never
 * told its WebSocket senders `undelivered` (test/cluster/failures.test.ts, intermittently).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBus } from '../../server/backplane/redis-bus';
import { RedisServer, until } from './harness';

const TTL_MS = 600;
let redis: RedisServer;
const buses: RedisBus[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
}, 30_000);

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  await redis?.destroy();
});

async function bus(id: string, ttlMs = TTL_MS): Promise<RedisBus> {
  const started = new RedisBus({ url: redis.url, instanceId: id, requestTimeoutMs: 500, instanceTtlMs: ttlMs, connectTimeoutMs: 2000 });
  await started.start();
  buses.push(started);
  return started;
}

/** Stops beating and leaves its keys behind, like a process killed with SIGKILL. */
function killWithoutGoodbye(victim: RedisBus): void {
  clearInterval((victim as unknown as { heartbeat: NodeJS.Timeout }).heartbeat);
  victim.redis.disconnect();
  (victim as unknown as { sub: Redis }).sub.disconnect();
  buses.splice(buses.indexOf(victim), 1);
}

describe('cluster bus: instance liveness', () => {
  it('a survivor hears the death even when another survivor reaped the dead instance before its first missed beat', async () => {
    const survivor = await bus('survivor-1');
    const victim = await bus('victim-1');
    await until('the survivor knows the victim', () => survivor.isAlive('victim-1'), 3000, 20);
    const heard: string[] = [];
    survivor.onInstanceDead((instance) => heard.push(instance));
    const diedAt = Date.now();
    killWithoutGoodbye(victim);
    // What the reaping survivor does, here before this survivor's beat can first miss the victim.
    const other = new Redis(redis.url);
    await other.multi().del('wl:inst:victim-1').srem('wl:insts', 'victim-1').exec();
    other.disconnect();
    await until('the survivor hears the victim died', () => heard.includes('victim-1'), 4 * TTL_MS, 20);
    expect(survivor.isAlive('victim-1')).toBe(false);
    console.log(`dead instance heard after ${Date.now() - diedAt} ms (heartbeat TTL ${TTL_MS} ms)`);
  });

  it('a lapsed heartbeat with the member entry still there: heard once, after two missed beats, and reaped by exactly one survivor', async () => {
    const survivors = await Promise.all(['survivor-2', 'survivor-3'].map((id) => bus(id)));
    const victim = await bus('victim-2');
    await until('both survivors know the victim', () => survivors.every((one) => one.isAlive('victim-2')), 3000, 20);
    const heard: string[] = [];
    const reaped: string[] = [];
    for (const one of survivors) one.onInstanceDead((instance) => heard.push(`${one.instanceId}:${instance}`));
    // Every live bus may win the reap (the first test's survivor too).
    for (const one of buses) if (one !== victim) one.onReap((instance) => reaped.push(`${one.instanceId}:${instance}`));
    killWithoutGoodbye(victim);
    await until('both survivors hear it', () => heard.length === 2, 5 * TTL_MS, 20);
    await new Promise((resolve) => setTimeout(resolve, 2 * TTL_MS));
    expect(heard.sort()).toEqual(['survivor-2:victim-2', 'survivor-3:victim-2']);
    expect(reaped.filter((entry) => entry.endsWith(':victim-2'))).toHaveLength(1);
  });

  it('an instance that started after the last beat is alive at once: by its liveness key, and by any message it sends', async () => {
    // A long heartbeat period: the old instance's next beat is seconds away.
    const old = await bus('old-5', 30_000);
    old.on('echo', (m) => m.value);
    const newcomer = await bus('new-5', 30_000);
    newcomer.on('echo', (m) => m.value);
    expect(old.isAlive('new-5')).toBe(false);
    expect([...(await old.aliveAmong(['new-5', 'never-started']))]).toEqual(['new-5']);
    expect(await old.request('new-5', { t: 'echo', value: 7 })).toBe(7);
    // The other way round: the newcomer's request makes it known, so the answer to it is sent.
    const third = await bus('new-6', 30_000);
    expect(old.isAlive('new-6')).toBe(false);
    expect(await third.request('old-5', { t: 'echo', value: 8 })).toBe(8);
    expect(old.isAlive('new-6')).toBe(true);
  });

  it('an instance that keeps beating is never taken for dead', async () => {
    const watcher = await bus('watcher-4');
    await bus('steady-4');
    const heard: string[] = [];
    watcher.onInstanceDead((instance) => heard.push(instance));
    await new Promise((resolve) => setTimeout(resolve, 4 * TTL_MS));
    expect(heard).toEqual([]);
    expect(watcher.isAlive('steady-4')).toBe(true);
  });
});
