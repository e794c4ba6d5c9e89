import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import { spawnRelay, waitListening } from './helpers/child';
import { api } from './helpers/http';
import { tempDir } from './helpers/relay';

const dirs: string[] = [];
const fresh = () => {
  const dir = tempDir('wl-config-');
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('loadConfig', () => {
  it('defaults: port 9009, host 127.0.0.1, ./data/wakelink.db, development', () => {
    const dir = fresh();
    const config = loadConfig({ DATABASE_FILE: join(dir, 'db', 'wakelink.db') });
    expect(config).toMatchObject({ port: 9009, host: '127.0.0.1', apiEnv: 'development', deviceLimit: 5, queueCap: 32, queueTtlMs: 300_000 });
    expect(existsSync(join(dir, 'db'))).toBe(true);
  });

  it('without SECRET_KEY: generates 32 random bytes once, mode 0600, and reuses them', () => {
    const dir = fresh();
    const env = { DATABASE_FILE: join(dir, 'relay.db') };
    const first = loadConfig(env);
    const path = join(dir, 'secret.key');
    expect(first.secretSource).toBe('generated');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.secretKey.length).toBe(32);
    const second = loadConfig(env);
    expect(second.secretSource).toBe('file');
    expect(Buffer.from(second.secretKey).equals(Buffer.from(first.secretKey))).toBe(true);
    chmodSync(path, 0o644);
    expect(() => loadConfig(env)).toThrow(/readable by other users/);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['CLOUD_PORT not a number', { CLOUD_PORT: 'abc' }, /CLOUD_PORT must be a whole number/],
    ['CLOUD_PORT out of range', { CLOUD_PORT: '70000' }, /CLOUD_PORT must be between 0 and 65535/],
    ['production without SECRET_KEY', { API_ENV: 'production' }, /SECRET_KEY must be set when API_ENV=production/],
    ['short SECRET_KEY', { SECRET_KEY: 'short' }, /SECRET_KEY must be at least 32 characters/],
    ['unknown API_ENV', { API_ENV: 'staging' }, /API_ENV must be "development" or "production"/],
    ['bad origin list', { ALLOWED_ORIGINS: 'evil.example' }, /ALLOWED_ORIGINS entry/],
    ['zero queue cap', { QUEUE_CAP: '0' }, /QUEUE_CAP must be between/],
  ];
  for (const [name, env, message] of bad) {
    it(`refuses ${name}`, () => {
      const dir = fresh();
      expect(() => loadConfig({ DATABASE_FILE: join(dir, 'r.db'), ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_FILE: join(dir, 'r.db'), ...env })).toThrow(message);
    });
  }
});

describe('main.ts (npm start)', () => {
  it('a configuration error exits non-zero with one clear message and no stack trace', async () => {
    const dir = fresh();
    const relay = spawnRelay({ CLOUD_PORT: 'not-a-port', DATABASE_FILE: join(dir, 'r.db') });
    const { code } = await relay.exited;
    expect(code).not.toBe(0);
    expect(relay.stderr().trim()).toBe('wakelink relay: configuration error: CLOUD_PORT must be a whole number, got "not-a-port"');
  });

  it('F11: a corrupt database file is refused with a clear error, not replaced', async () => {
    const dir = fresh();
    const file = join(dir, 'r.db');
    writeFileSync(file, Buffer.alloc(8192, 0x41));
    const relay = spawnRelay({ CLOUD_PORT: '0', DATABASE_FILE: file });
    const { code } = await relay.exited;
    expect(code).not.toBe(0);
    expect(relay.stderr()).toMatch(/^wakelink relay: database error: /);
    expect(readFileSync(file).equals(Buffer.alloc(8192, 0x41))).toBe(true);
  });

  it('starts, prints the URL it listens on, serves /api/health, and keeps the secret out of stdout', async () => {
    const dir = fresh();
    const relay = await waitListening(spawnRelay({ CLOUD_PORT: '0', DATABASE_FILE: join(dir, 'r.db') }));
    expect(relay.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await api(relay.http, 'GET', '/api/health');
    expect(health.body.status).toBe('healthy');
    // The database holds password and token hashes: owner-only, like the secret.
    expect(statSync(join(dir, 'r.db')).mode & 0o777).toBe(0o600);
    const secret = readFileSync(join(dir, 'secret.key'), 'utf8').trim();
    expect(relay.stdout()).not.toContain(secret);
    relay.child.kill('SIGINT');
    expect((await relay.exited).code).toBe(0);
  });
});
