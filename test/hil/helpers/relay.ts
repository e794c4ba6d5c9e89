/** The real relay (server/app.ts) in-process on 127.0.0.1, restartable on the same port and database. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../server/app';
import { loadConfig } from '../../../server/config';
import type { Clock } from '../../../server/time';

const SECRET = 'hil-relay-secret-long-enough-for-the-config-check-0123';

/** Wall time plus an offset the test can move forward (to age queued commands past their TTL). */
export class SkewableClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

export interface HilRelay {
  http: string;
  ws: string;
  port: number;
  clock: SkewableClock;
  /** Creates an account and returns its `sk-` API token. */
  register(username: string): Promise<string>;
  registerDevice(apiToken: string, deviceId: string): Promise<void>;
  /** Stops the relay (sockets closed with 1012) and starts it again on the same port and database. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Starts a stopped relay again on the same port and database. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startHilRelay(options: { queueTtlSeconds?: number } = {}): Promise<HilRelay> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-hil-relay-'));
  const clock = new SkewableClock();
  const config = loadConfig({
    DATABASE_FILE: path.join(dir, 'relay.db'),
    CLOUD_PORT: '0',
    HOST: '127.0.0.1',
    SECRET_KEY: SECRET,
    LOG_LEVEL: 'silent',
    QUEUE_TTL_SECONDS: String(options.queueTtlSeconds ?? 300),
  });
  let app: FastifyInstance | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    app = await buildApp({ config, logger: false, clock, throttle: { registrationsPerIp: 1000 } });
    await app.listen({ port, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address !== 'object') throw new Error('relay did not bind');
    port = address.port;
  };
  await listen();
  const post = async (route: string, body: unknown, apiToken?: string): Promise<Response> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiToken !== undefined) headers.authorization = `Bearer ${apiToken}`;
    return fetch(`http://127.0.0.1:${port}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
  };
  const relay: HilRelay = {
    get http() { return `http://127.0.0.1:${port}`; },
    get ws() { return `ws://127.0.0.1:${port}`; },
    get port() { return port; },
    clock,
    async register(username) {
      const response = await post('/auth/register', { username, password: 'hil-password-123' });
      if (response.status !== 201) throw new Error(`register failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { api_token: string }).api_token;
    },
    async registerDevice(apiToken, deviceId) {
      const response = await post('/api/register_device', { device_id: deviceId, device_data: { name: 'hil' } }, apiToken);
      if (response.status !== 200) throw new Error(`register_device failed: ${response.status} ${await response.text()}`);
    },
    async restart() {
      await app?.close();
      await listen();
    },
    async stop() {
      await app?.close();
      app = undefined;
    },
    async start() {
      if (app === undefined) await listen();
    },
    async close() {
      await app?.close();
      app = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return relay;
}
