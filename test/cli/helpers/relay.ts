import { mkdtempSync, rmSync } from 'node:fs';
import type { Clock } from '../../../server/time';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../server/app';
import { loadConfig } from '../../../server/config';

export interface TestRelay {
  app: FastifyInstance;
  dir: string;
  /** Every request the relay parsed, as `METHOD path body-json`, to prove what clients sent it. */
  requests: string[];
  http: string;
  ws: string;
  close(): Promise<void>;
}

/** The real relay (server/app.ts) on 127.0.0.1:0 with a fresh SQLite file in a temp dir. */
/** `clock`: the relay's clock (tests move it to expire tokens); the system clock otherwise. */
export async function startTestRelay(options: { clock?: Clock } = {}): Promise<TestRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'wl-cli-relay-'));
  const config = loadConfig({
    DATABASE_FILE: join(dir, 'relay.db'), CLOUD_PORT: '0', SECRET_KEY: 'cli-test-secret-key-0123456789-abcdefghijkl', LOG_LEVEL: 'silent',
  });
  const app = await buildApp({ config, logger: false, clock: options.clock });
  const requests: string[] = [];
  app.addHook('preHandler', async (request) => {
    requests.push(`${request.method} ${request.url} ${JSON.stringify(request.body ?? null)}`);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('relay did not bind');
  return {
    app, dir, requests,
    http: `http://127.0.0.1:${address.port}`,
    ws: `ws://127.0.0.1:${address.port}`,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an account through the relay's public API; returns its first API token. */
export async function createAccount(relay: TestRelay, username: string, password: string): Promise<string> {
  const response = await fetch(`${relay.http}/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { api_token: string }).api_token;
}
