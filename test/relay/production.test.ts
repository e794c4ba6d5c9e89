import { existsSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { api, registerDevice, registerUser } from './helpers/http';
import { childrenOf, npm, processesIn, productionTree } from './helpers/production-tree';
import { TEST_SECRET, tempDir } from './helpers/relay';
import { connectClient, connectDevice } from './helpers/ws';

/**
 * WAKELINK_PRODUCTION_TREE names a real `npm ci --omit=dev` clone (`.ci/run` makes one); without it
 * the suite assembles the same tree from this checkout (helpers/production-tree.ts).
 */
const realInstall = process.env.WAKELINK_PRODUCTION_TREE;
const dir = realInstall ?? tempDir('wl-production-');
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface Started {
  child: ReturnType<typeof npm>;
  http: string;
  ws: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` in the production tree, as `docker run` or a supervisor starts it. */
async function npmStart(database: string): Promise<Started> {
  const child = npm(dir, ['start'], { CLOUD_PORT: '0', DATABASE_FILE: join(dir, database), SECRET_KEY: TEST_SECRET, LOG_LEVEL: 'warn' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  // A failed expectation must not leave npm or the relay running after the test.
  onTestFinished(() => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    for (const pid of childrenOf(child.pid!)) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = /listening on (http:\/\/[^\s]+)/.exec(output);
    if (match) return { child, http: match[1]!, ws: match[1]!.replace('http://', 'ws://'), output: () => output, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Imports the bundle performs: package names (or node: built-ins) after `from` / `import(`. */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'./][^"']*)["']/g)].map((m) => m[1]!);
  return [...new Set(specifiers.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!)))];
}

beforeAll(async () => {
  if (realInstall !== undefined) return;
  productionTree(dir);
  // What `npm ci --omit=dev` runs after installing: the prepare script (the build).
  const prepare = npm(dir, ['run', 'prepare']);
  let out = '';
  prepare.stdout.on('data', (c: Buffer) => (out += c.toString()));
  prepare.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((done) => prepare.on('exit', done));
  if (code !== 0) throw new Error(`npm run prepare failed:\n${out}`);
}, 120_000);

afterAll(() => {
  if (realInstall === undefined) rmSync(dir, { recursive: true, force: true });
});

describe('production install (npm ci --omit=dev, then npm start)', () => {
  it('has no dev packages, and the built relay and CLI import only runtime dependencies and Node built-ins', () => {
    for (const devOnly of ['tsx', 'vitest', 'typescript', '@agoric/xsnap', 'playwright-core', '@sparticuz/chromium']) {
      expect(existsSync(join(dir, 'node_modules', devOnly)), devOnly).toBe(false);
    }
    for (const bundle of ['dist/relay/main.mjs', 'dist/cli/main.mjs']) {
      const imported = importedPackages(join(dir, bundle));
      expect(imported.length, bundle).toBeGreaterThan(3);
      for (const name of imported) {
        expect(name.startsWith('node:') || name in pkg.dependencies, `${bundle} imports ${name}`).toBe(true);
      }
    }
    expect(Object.keys(pkg.devDependencies)).not.toContain('esbuild');
  });

  it('serves HTTP, the dashboard and both sockets without rebuilding; SIGTERM to npm drains, exits 0 and leaves no process', async () => {
    const built = statSync(join(dir, 'dist/relay/main.mjs')).mtimeMs;
    const relay = await npmStart('term.db');
    expect(statSync(join(dir, 'dist/relay/main.mjs')).mtimeMs).toBe(built);
    const [shell] = childrenOf(relay.child.pid!);
    expect(shell, 'npm started the relay').toBeDefined();
    expect(readFileSync(`/proc/${shell}/cmdline`, 'utf8')).toContain('scripts/start-relay.mjs');

    expect((await api(relay.http, 'GET', '/api/health')).body).toMatchObject({ status: 'healthy' });
    expect((await fetch(`${relay.http}/login`)).status).toBe(200);
    // The dashboard's script: the prebuilt browser bundle of shared/ (built by prepare, not rebuilt here).
    const script = await fetch(`${relay.http}/dashboard.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toBe(readFileSync(join(dir, 'dist/dashboard/dashboard.js'), 'utf8'));
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL5A1E');
    const { probe: device, welcome } = await connectDevice(relay.ws, 'WL5A1E', user.token);
    expect(welcome).toMatchObject({ type: 'welcome', device_id: 'WL5A1E' });
    const { probe: client } = await connectClient(relay.ws, 'cli_prod', user.token);
    const longPoll = api(relay.http, 'POST', '/api/pull', { token: user.token, body: { device_id: 'WL5A1E', wait: 25 } });
    await new Promise((r) => setTimeout(r, 200));

    const stoppedAt = Date.now();
    process.kill(relay.child.pid!, 'SIGTERM');
    expect((await device.closed).code).toBe(1012);
    expect((await client.closed).code).toBe(1012);
    const poll = await longPoll;
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect([200, 503]).toContain(poll.status);
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    expect(processesIn(dir)).toEqual([]);
  }, 60_000);

  it('SIGINT to npm (Ctrl-C, or a supervisor configured for it) also exits 0 and leaves no process', async () => {
    const relay = await npmStart('int.db');
    const relayPid = childrenOf(relay.child.pid!)[0]!;
    process.kill(relay.child.pid!, 'SIGINT');
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    expect(() => process.kill(relayPid, 0)).toThrow();
    expect(processesIn(dir)).toEqual([]);
  }, 60_000);

  it('a changed source file is rebuilt at the next start', async () => {
    const before = statSync(join(dir, 'dist/relay/main.mjs')).mtimeMs;
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'server/limits.ts'), later, later);
    const relay = await npmStart('rebuilt.db');
    expect(statSync(join(dir, 'dist/relay/main.mjs')).mtimeMs).toBeGreaterThan(before);
    process.kill(relay.child.pid!, 'SIGTERM');
    expect((await relay.exited).code).toBe(0);
  }, 60_000);

  it('the wakelink CLI runs without dev packages: --version, login and register against the relay', async () => {
    const relay = await npmStart('cli.db');
    const home = join(dir, 'cli-home');
    const cli = async (args: string[], input = '') => {
      const child = npm(dir, ['exec', '--offline', '--', 'wakelink', ...args], { WAKELINK_HOME: home, NO_COLOR: '1' });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.stdin.end(input);
      const code = await new Promise<number | null>((done) => child.on('exit', done));
      return { code, out };
    };
    try {
      expect(await cli(['--version'])).toMatchObject({ code: 0, out: expect.stringContaining('wakelink 0.1.0') });
      const user = await registerUser(relay.http);
      const login = await cli(['login', '--relay', relay.http, '--username', user.username, '--password-stdin'], `${user.password}\n`);
      expect(login, login.out).toMatchObject({ code: 0 });
      const register = await cli(['register', 'desk', '--device-id', 'WLC11', '--token', 'a'.repeat(48)]);
      expect(register, register.out).toMatchObject({ code: 0 });
      const devices = await api(relay.http, 'GET', '/api/devices', { token: user.token });
      expect(devices.body.devices.map((d: { device_id: string }) => d.device_id)).toEqual(['WLC11']);
    } finally {
      process.kill(relay.child.pid!, 'SIGTERM');
      await relay.exited;
    }
  }, 60_000);
});
