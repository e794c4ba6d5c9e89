/**
 * Database write failures (issue 12 items 9 and 10; catalogue F10, F11): a database the relay
 * cannot write is refused at start; one that becomes read-only or full while running answers 503
 * with a clear code, and /api/health reports `degraded` with the cause until a write succeeds again.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../server/store/sqlite-store';
import { spawnRelay, waitListening } from './helpers/child';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken } from './helpers/packets';
import { TEST_SECRET, startRelay, tempDir, type RunningRelay } from './helpers/relay';

const deviceToken = newDeviceToken();
let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

/** The account `nobody`: as root, file modes do not apply, so the relay runs as a user they bind. */
const NOBODY = { uid: 65534, gid: 65534 };

async function health(base: string) {
  return api(base, 'GET', '/api/health');
}

describe('read-only database (issue 12 item 9, F11)', () => {
  it('a database file and directory the relay cannot write (left-over -wal/-shm let SQLite open it) → the relay refuses to start with a clear error', async () => {
    const dir = tempDir('wl-readonly-');
    const dbFile = join(dir, 'relay.db');
    const env = { CLOUD_PORT: '0', DATABASE_FILE: dbFile, SECRET_KEY: TEST_SECRET };
    try {
      const first = await waitListening(spawnRelay(env));
      await registerUser(first.http);
      // A crash leaves the -wal and -shm files behind, which is what lets SQLite open the file read-only.
      first.child.kill('SIGKILL');
      await first.exited;
      expect(readdirSync(dir).sort()).toEqual(['relay.db', 'relay.db-shm', 'relay.db-wal']);
      for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o444);
      chmodSync(dir, 0o555);

      const second = spawnRelay(env, 'tsx', process.getuid?.() === 0 ? NOBODY : undefined);
      const started = await waitListening(second).then(() => true, () => false);
      if (started) {
        // The old behaviour: up and "healthy", but every write answers 500.
        const register = await api(second.http, 'POST', '/auth/register', { body: { username: 'late_user', password: 'correct horse battery' } });
        second.child.kill('SIGKILL');
        await second.exited;
        expect.fail(`the relay started on a database it cannot write (register answered ${register.status})`);
      }
      const { code } = await second.exited;
      expect(code).toBe(3);
      expect(second.stderr()).toMatch(/database error: .*relay\.db.* cannot be written.*readonly/i);
    } finally {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a database that turns read-only while running → writes answer 503 DATABASE_READ_ONLY (never 500), health is degraded with the cause; both recover', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLA01');
    expect((await health(relay.http)).body.status).toBe('healthy');
    const { db } = relay.app.store as SqliteStore;
    // SQLite's own read-only state on the relay's connection, as after a read-only remount.
    db.pragma('query_only = ON');
    try {
      const register = await api(relay.http, 'POST', '/auth/register', { body: { username: 'rouser1', password: 'correct horse battery' } });
      const token = await api(relay.http, 'POST', '/api/tokens', { token: user.token, body: { name: 'ro' } });
      const device = await api(relay.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: 'WLA02' } });
      const queued = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, 'WLA01', 'ping', 'ro1') });
      for (const res of [register, token, device]) {
        expect(res.status).toBe(503);
        expect(res.body.error).toBe('DATABASE_READ_ONLY');
        expect(res.headers.get('retry-after')).not.toBeNull();
      }
      expect(queued.status).toBe(503);
      expect(queued.body.error).toBe('queue_unavailable');
      const degraded = await health(relay.http);
      expect(degraded.status).toBe(503);
      expect(degraded.body).toMatchObject({ status: 'degraded', database: 'write_failing' });
      expect(degraded.body.cause).toMatch(/SQLITE_READONLY/);
    } finally {
      db.pragma('query_only = OFF');
    }
    // Still degraded until a write succeeds again.
    expect((await health(relay.http)).body.status).toBe('degraded');
    const again = await api(relay.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: 'WLA02' } });
    expect(again.status).toBe(200);
    const healed = await health(relay.http);
    expect(healed.status).toBe(200);
    expect(healed.body).toMatchObject({ status: 'healthy', database: 'ok' });
    expect(healed.body.cause).toBeUndefined();
  });
});

describe('disk full (issue 12 item 10, F10)', () => {
  it('after a failed write /api/health says degraded with the cause, until a write succeeds again', async () => {
    relay = await startRelay({ env: { QUEUE_CAP: '10000' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLA0F');
    const { db } = relay.app.store as SqliteStore;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = commandPacket(deviceToken, 'WLA0F', 'ping', 'fill', { pad: 'p'.repeat(300) });
    let refused = false;
    for (let i = 0; i < 200 && !refused; i += 1) {
      const res = await api(relay.http, 'POST', '/api/push', { token: user.token, body: big });
      refused = res.status === 503;
    }
    expect(refused).toBe(true);
    // SELECT 1 still works: only the write failure tells that the relay cannot accept commands.
    const degraded = await health(relay.http);
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', database: 'write_failing' });
    expect(degraded.body.cause).toMatch(/SQLITE_FULL/);
    expect(typeof degraded.body.since).toBe('string');
    db.pragma('max_page_count = 1073741823');
    expect((await health(relay.http)).body.status).toBe('degraded');
    expect((await api(relay.http, 'POST', '/api/push', { token: user.token, body: big })).status).toBe(200);
    const healed = await health(relay.http);
    expect(healed.status).toBe(200);
    expect(healed.body.status).toBe('healthy');
  });
});
