import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMIT_KNOBS } from '../../server/config-limits';
import { DEFAULTS, LIMITS } from '../../server/limits';
import { registerUser } from './helpers/http';
import { ROOT } from './helpers/production-tree';
import { startRelay } from './helpers/relay';
import { RawUpgrade, v1CliClientPath, v1UpgradeRequest } from './fixtures/v1-cli-upgrade';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'wl-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Seconds in an nginx/systemd/Caddy duration like `75s`. */
const seconds = (text: string) => Number(/^(\d+)s?$/.exec(text)?.[1] ?? Number.NaN);
const longestWaitSeconds = Math.max(LIMITS.pullMaxWaitMs, LIMITS.wsPingIntervalMs) / 1000;
const defaultBodyBytes = LIMIT_KNOBS.find((knob) => knob.env === 'HTTP_BODY_BYTES')!.fallback;

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages.at(-1)!;

  it('is multi-stage: runtime dependencies and the build in the first stage, only what runs in the last', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/RUN npm ci --omit=dev/);
    for (const stage of stages) expect(stage).toMatch(/^node:(20|22)-/); // inside package.json engines
    expect(final).toMatch(/COPY --from=build .*\/app\/dist\/ dist\//);
    expect(final).toMatch(/COPY --from=build .*\/app\/node_modules\/ node_modules\//);
    expect(final).not.toMatch(/^COPY (?!--from)/m); // nothing from the build context: no sources
    expect(final).not.toMatch(/apt-get|g\+\+|npm ci/);
  });

  it('the build stage copies every directory the relay, CLI and dashboard-script bundles are built from', () => {
    // dist/<target>/inputs.json: what scripts/build.mjs last read (written by `npm ci`'s prepare).
    for (const target of ['relay', 'cli', 'dashboard']) {
      const inputs = Object.keys((JSON.parse(read(join('dist', target, 'inputs.json'))) as { inputs: Record<string, unknown> }).inputs);
      for (const dir of new Set(inputs.map((file) => file.split('/')[0]!))) expect(stages[0], `${target} needs ${dir}/`).toContain(`COPY ${dir}/ ${dir}/`);
    }
  });

  it('runs as a non-root user, production settings, data on a volume, HEALTHCHECK on /api/health, npm start', () => {
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/API_ENV=production/);
    expect(final).toMatch(/DATABASE_FILE=\/data\/wakelink\.db/);
    expect(final).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(final).toMatch(new RegExp(`^EXPOSE ${DEFAULTS.port}$`, 'm'));
    expect(final).toMatch(/HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.CLOUD_PORT \|\| 9009\) \+ '\/api\/health'\)/);
    expect(final).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(final).toMatch(/^CMD \["npm", "start"\]$/m);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '*.db']));
  });

  it('its HEALTHCHECK command really reports a healthy relay (0) and an unreachable one (1)', async () => {
    const command = /CMD \["node", "-e", "(.*)"\]\n/.exec(final)![1]!.replace(/\\"/g, '"');
    const relay = await startRelay();
    try {
      const run = (port: string) => new Promise<number | null>((done) => {
        spawn(process.execPath, ['-e', command], { env: { ...process.env, CLOUD_PORT: port } }).on('exit', done);
      });
      expect(await run(new URL(relay.http).port)).toBe(0);
      await relay.close();
      expect(await run(new URL(relay.http).port)).toBe(1);
    } finally {
      await relay.close().catch(() => undefined);
    }
  });
});

describe('systemd unit (deploy/wakelink-relay.service)', () => {
  const unit = read('deploy/wakelink-relay.service');
  const value = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

  it('runs what npm start runs, unprivileged, stops with SIGTERM and waits longer than the relay drains', () => {
    expect(value('ExecStart')).toEqual(['/usr/bin/node --enable-source-maps scripts/start-relay.mjs']);
    expect(JSON.parse(read('package.json')).scripts.start).toBe('exec node --enable-source-maps scripts/start-relay.mjs');
    expect(value('User')).toEqual(['wakelink']);
    expect(value('KillSignal')).toEqual(['SIGTERM']);
    expect(seconds(value('TimeoutStopSec')[0]!)).toBeGreaterThan(LIMITS.shutdownTimeoutMs / 1000);
    expect(value('Restart')).toEqual(['on-failure']);
    expect(value('Environment')).toEqual(expect.arrayContaining([
      'API_ENV=production', 'HOST=127.0.0.1', `CLOUD_PORT=${DEFAULTS.port}`, 'TRUST_PROXY=127.0.0.1', 'DATABASE_FILE=/var/lib/wakelink/wakelink.db',
    ]));
    expect(value('ReadWritePaths')).toEqual(['/var/lib/wakelink']);
    expect(value('NoNewPrivileges')).toEqual(['yes']);
  });

  it.runIf(has('systemd-analyze'))('passes systemd-analyze verify with no warning', () => {
    const file = join(scratch, 'wakelink-relay.service');
    writeFileSync(file, unit.replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`).replace('WorkingDirectory=/opt/wakelink-xs', `WorkingDirectory=${ROOT}`));
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe('');
  });
});

/** The nginx example with loopback ports, a throwaway certificate and writable temp paths. */
function nginxConfig(dir: string, listenPort: number, relayPort: number): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const site = read('deploy/nginx.conf')
    .replace('/etc/letsencrypt/live/relay.example.org/fullchain.pem', join(dir, 'cert.pem'))
    .replace('/etc/letsencrypt/live/relay.example.org/privkey.pem', join(dir, 'key.pem'))
    .replace('listen 443 ssl;', `listen 127.0.0.1:${listenPort} ssl;`)
    .replace(/listen \[::\]:\d+( ssl)?;/g, '')
    .replace('listen 80;', `listen 127.0.0.1:${listenPort + 1};`)
    .replace(`proxy_pass http://127.0.0.1:${DEFAULTS.port};`, `proxy_pass http://127.0.0.1:${relayPort};`);
  writeFileSync(join(dir, 'site.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => {
    mkdirSync(join(dir, name), { recursive: true });
    return `${name}_temp_path ${join(dir, name)};`;
  }).join(' ');
  const main = join(dir, 'nginx.conf');
  writeFileSync(main, `pid ${join(dir, 'nginx.pid')};\nerror_log stderr;\ndaemon off;\nevents {}\nhttp {\n access_log off;\n ${temp}\n include ${join(dir, 'site.conf')};\n}\n`);
  return main;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('nginx example (deploy/nginx.conf)', () => {
  const conf = read('deploy/nginx.conf');

  it('forwards WebSocket upgrades to the relay port with the scheme and host, and outwaits long polls and pings', () => {
    expect(conf).toContain(`proxy_pass http://127.0.0.1:${DEFAULTS.port};`);
    expect(conf).toContain('proxy_http_version 1.1;');
    expect(conf).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(conf).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(conf).toContain('proxy_set_header Host $http_host;');
    expect(conf).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(seconds(/proxy_read_timeout (\S+);/.exec(conf)![1]!)).toBeGreaterThan(longestWaitSeconds);
    expect(seconds(/proxy_send_timeout (\S+);/.exec(conf)![1]!)).toBeGreaterThan(longestWaitSeconds);
    expect(Number(/client_max_body_size (\d+)k;/.exec(conf)![1]) * 1024).toBe(defaultBodyBytes);
  });

  it.runIf(has('nginx') && has('openssl'))('nginx -t accepts it, and the v1.0 CLI upgrade over wss:// through it reaches the relay (Origin behind TRUST_PROXY)', async () => {
    const dir = join(scratch, 'nginx');
    mkdirSync(dir, { recursive: true });
    const relay = await startRelay({ env: { TRUST_PROXY: '127.0.0.1' } });
    const port = await freePort();
    const main = nginxConfig(dir, port, Number(new URL(relay.http).port));
    const check = spawnSync('nginx', ['-t', '-p', dir, '-c', main], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const nginx = spawn('nginx', ['-p', dir, '-c', main], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    nginx.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      const user = await registerUser(relay.http);
      let raw: RawUpgrade | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        raw = RawUpgrade.open(v1UpgradeRequest({ url: `wss://localhost:${port}`, path: v1CliClientPath('WL1'), apiToken: user.token, deviceId: 'WL1' }), port, true);
        await raw.response;
        if (raw.status !== 0) break;
        await new Promise((r) => setTimeout(r, 100)); // nginx still starting
      }
      expect(raw!.statusLine, log).toBe('HTTP/1.1 101 Switching Protocols');
      raw!.sendText(JSON.stringify({ type: 'auth', token: user.token }));
      expect(await raw!.nextJson()).toMatchObject({ type: 'welcome', status: 'connected' });
      raw!.destroy();
    } finally {
      nginx.kill('SIGTERM');
      await new Promise((r) => nginx.once('exit', r));
      await relay.close();
    }
  }, 30_000);
});

describe('Caddy example (deploy/Caddyfile)', () => {
  const caddyfile = read('deploy/Caddyfile');

  it('proxies to the relay port, streams, bounds bodies like the relay and waits longer than a long poll', () => {
    expect(caddyfile).toMatch(new RegExp(`reverse_proxy 127\\.0\\.0\\.1:${DEFAULTS.port} \\{`));
    expect(caddyfile).toMatch(/flush_interval -1/);
    expect(seconds(/response_header_timeout (\S+)/.exec(caddyfile)![1]!)).toBeGreaterThan(LIMITS.pullMaxWaitMs / 1000);
    expect(Number(/max_size (\d+)KB/.exec(caddyfile)![1]) * 1024).toBe(defaultBodyBytes);
  });

  it.runIf(has('caddy'))('caddy validate accepts it', () => {
    const home = join(scratch, 'caddy-home');
    mkdirSync(home, { recursive: true });
    const result = spawnSync('caddy', ['validate', '--config', join(ROOT, 'deploy/Caddyfile'), '--adapter', 'caddyfile'], {
      encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('Valid configuration');
  });
});
