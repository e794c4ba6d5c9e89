import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../../server/app';
import { loadConfig, type RelayConfig } from '../../../server/config';
import type { Clock } from '../../../server/time';

export const TEST_SECRET = 'test-secret-key-that-is-long-enough-0123456789';

export interface RunningRelay {
  app: FastifyInstance;
  config: RelayConfig;
  dir: string;
  dbFile: string;
  http: string;
  ws: string;
  close(): Promise<void>;
}

/** A controllable clock for TTL tests: time moves only when the test says so. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 10, 23, 12, 0, 0)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export function tempDir(prefix = 'wl-relay-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts a real relay on 127.0.0.1:0 with a fresh SQLite file. */
export async function startRelay(
  options: { env?: Record<string, string>; dir?: string } & Omit<BuildOptions, 'config'> = {},
): Promise<RunningRelay> {
  const dir = options.dir ?? tempDir();
  const dbFile = join(dir, 'relay.db');
  const config = loadConfig({
    DATABASE_FILE: dbFile, CLOUD_PORT: '0', SECRET_KEY: TEST_SECRET, LOG_LEVEL: 'silent', ...options.env,
  });
  const { env: _env, dir: _dir, ...build } = options;
  const app = await buildApp({ logger: false, throttle: { registrationsPerIp: 1000 }, ...build, config });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('relay did not bind');
  const ownsDir = options.dir === undefined;
  return {
    app, config, dir, dbFile,
    http: `http://127.0.0.1:${address.port}`,
    ws: `ws://127.0.0.1:${address.port}`,
    async close() {
      await app.close();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
