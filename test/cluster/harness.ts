/**
 * The cluster tier's real parts (issue 15): redis-server and PostgreSQL started on free loopback
 * ports with temp data directories, and relay instances as real child processes (server/main.ts)
 * sharing them. Nothing here mocks a component; everything listens on 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRelay, waitListening, type ChildRelay } from '../relay/helpers/child';
import { TEST_SECRET } from '../relay/helpers/relay';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

/** Where a server binary is: PATH, then the Debian locations. */
export function findBinary(name: string, extra: string[] = []): string | null {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const candidate of extra) if (existsSync(candidate)) return candidate;
  return null;
}

export class RedisServer {
  private child: ChildProcess | null = null;
  readonly url: string;

  private constructor(readonly port: number, private readonly dir: string, private readonly binary: string) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(): Promise<RedisServer> {
    const binary = findBinary('redis-server', ['/usr/bin/redis-server']);
    if (!binary) throw new Error('redis-server is not installed (Debian: apt-get install redis-server); .ci/run installs it');
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'wl-redis-')), binary);
    await server.run();
    return server;
  }

  /** (Re)starts on the same port, with no persistence: a restart loses every key, like a fresh Redis. */
  async run(): Promise<void> {
    this.child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--protected-mode', 'yes'], { stdio: 'ignore' });
    await until('redis-server to answer', () => this.ping(), 10_000);
  }

  async ping(): Promise<boolean> {
    const result = spawnSync('redis-cli', ['-p', String(this.port), 'PING'], { encoding: 'utf8' });
    if (result.error) {
      // redis-cli missing: speak RESP ourselves.
      const { Socket } = await import('node:net');
      return new Promise((resolve) => {
        const socket = new Socket();
        socket.once('error', () => resolve(false));
        socket.connect(this.port, '127.0.0.1', () => socket.write('PING\r\n'));
        socket.once('data', (data) => {
          resolve(data.toString().startsWith('+PONG'));
          socket.destroy();
        });
      });
    }
    return result.stdout.trim() === 'PONG';
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Debian puts the server binaries outside PATH. */
function postgresBinary(name: string): string | null {
  const found = findBinary(name);
  if (found) return found;
  const versions = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1'], { encoding: 'utf8' }).stdout.trim();
  return versions && existsSync(join(versions, name)) ? join(versions, name) : null;
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no postgres user to run PostgreSQL as');
  return { uid, gid };
}

export class PostgresServer {
  private child: ChildProcess | null = null;
  readonly url: string;
  private log = '';

  private constructor(readonly port: number, private readonly dir: string, private readonly binary: string, private readonly as: { uid: number; gid: number } | undefined) {
    this.url = `postgres://wakelink@127.0.0.1:${port}/postgres`;
  }

  static async start(): Promise<PostgresServer> {
    const initdb = postgresBinary('initdb');
    const binary = postgresBinary('postgres');
    if (!initdb || !binary) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql); .ci/run installs it');
    const dir = mkdtempSync(join(tmpdir(), 'wl-pg-'));
    const as = serverUser();
    if (as) chownSync(dir, as.uid, as.gid);
    const data = join(dir, 'data');
    const init = spawnSync(initdb, ['-D', data, '-U', 'wakelink', '-A', 'trust', '--no-sync', '-E', 'UTF8'], { encoding: 'utf8', ...(as ?? {}) });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const server = new PostgresServer(await freePort(), dir, binary, as);
    await server.run();
    return server;
  }

  async run(): Promise<void> {
    this.child = spawn(this.binary, [
      '-D', join(this.dir, 'data'), '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
    ], { stdio: ['ignore', 'ignore', 'pipe'], ...(this.as ?? {}) });
    this.child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    await until(`postgres to accept connections (${this.log.slice(-300)})`, () => this.ready(), 20_000, 100);
  }

  private async ready(): Promise<boolean> {
    if (this.child?.exitCode !== null) throw new Error(`postgres exited: ${this.log.slice(-500)}`);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** SIGQUIT: immediate shutdown, no checkpoint; the next start recovers from the WAL, like after a crash. */
  async stop(signal: NodeJS.Signals = 'SIGQUIT'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGINT');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RelayInstance extends ChildRelay {
  name: string;
  env: Record<string, string>;
}

/** One relay instance: a real server/main.ts process on an ephemeral port. */
export async function startInstance(name: string, env: Record<string, string>): Promise<RelayInstance> {
  const full = {
    CLOUD_PORT: '0', HOST: '127.0.0.1', SECRET_KEY: TEST_SECRET, LOG_LEVEL: 'silent', INSTANCE_ID: name,
    // Test accounts are made from one address.
    REGISTRATIONS_PER_IP: '100000', WS_CONNECTIONS_PER_IP: '10000', DEVICE_LIMIT: '10000',
    ...env,
  };
  const relay = await waitListening(spawnRelay(full));
  return Object.assign(relay, { name, env: full });
}

export async function stopInstance(instance: RelayInstance, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  instance.child.kill(signal);
  await instance.exited;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
