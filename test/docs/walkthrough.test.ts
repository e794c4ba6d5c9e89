/**
 * README "Try it without hardware", run for real so it cannot rot: its shell blocks, in order, in
 * one bash session (relay, simulated board, magic-packet listener, CLI), exactly as written except
 * the one line that picks the ports, which gets free loopback ports. HOME is an empty folder, so a
 * write to the real ~/.wakelink would show; TMPDIR is the test's own, so $TRY is cleaned up with it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedPort } from '../cli/helpers/closed-port';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECTION = '## Try it without hardware';
/** The walkthrough's one line of ports; every other line must use the variables. */
const PORT_LINE = 'RELAY_PORT=9009 LAN_PORT=9999 WOL_PORT=40000';
/** The whole walkthrough, start to `kill`: generous for 2 busy cores (it takes ~15 s alone). */
const WALKTHROUGH_LIMIT_MS = 240_000;
/** After the script's `kill`, how long the relay and the board may take to drain and exit. */
const EXIT_LIMIT_MS = 15_000;

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

function walkthrough(): { section: string; blocks: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`${SECTION}\n`);
  expect(start, 'README has the walkthrough section').toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return { section, blocks: shellBlocks(section) };
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const root = mkdtempSync(join(tmpdir(), 'wl-walkthrough-'));
const leftovers: number[] = [];
afterAll(() => {
  for (const pgid of leftovers) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('README walkthrough (Try it without hardware)', () => {
  it('is the one walkthrough: sim/README.md points to it and repeats no commands of its own', () => {
    const { blocks } = walkthrough();
    expect(blocks.length).toBeGreaterThan(3);
    const simReadme = readFileSync(join(ROOT, 'sim/README.md'), 'utf8');
    expect(simReadme).toContain('](../README.md#try-it-without-hardware)');
    for (const block of shellBlocks(simReadme)) expect(blocks, 'a sim/README.md command block differs from the README').toContain(block);
    // Ports come from the one line the user (and this test) can change.
    const all = blocks.join('\n');
    expect(all.split(PORT_LINE).length - 1).toBe(1);
    for (const port of ['9009', '9999', '40000']) expect(all.replace(PORT_LINE, '')).not.toContain(port);
    // Nothing in it may write to the user's real CLI folder.
    expect(all).toContain('export WAKELINK_HOME="$TRY/cli"');
    expect(all).not.toMatch(/~|\$HOME/);
    // No comments: interactive zsh (macOS's default shell) runs `#` as a command unless told otherwise.
    expect(all).not.toMatch(/(^|\s)#/m);
  });

  it('runs as written: the listener sees a magic packet per wake (LAN, relay HTTP, relay WSS), nothing touches ~/.wakelink, nothing is left running', async () => {
    const { blocks } = walkthrough();
    const [relayPort, lanPort, wolPort] = [await closedPort(), await closedPort(), await freeUdpPort()];
    const home = join(root, 'home');
    const tmp = join(root, 'tmp');
    const probe = join(root, 'probe');
    for (const dir of [home, tmp, probe]) mkdirSync(dir);
    const last = blocks.at(-1)!;
    expect(last).toMatch(/^kill %1 %2 %3/);
    const script = [
      // Stop at the first failing command; job control as in an interactive shell, so `kill %N`
      // signals the job's whole process group (npm and what it started).
      'set -e -m',
      `trap 'for p in $(jobs -p); do kill -TERM -- "-$p" 2>/dev/null || true; done' EXIT`,
      "trap 'exit 143' TERM",
      ...blocks.slice(0, -1).map((block) => block.replace(PORT_LINE, `RELAY_PORT=${relayPort} LAN_PORT=${lanPort} WOL_PORT=${wolPort}`)),
      // Probe (not README): what is running and where the CLI kept its file, just before the stop.
      'jobs -p > "$WALKTHROUGH_PROBE/pgids"; echo "$TRY" > "$WALKTHROUGH_PROBE/try"',
      'cp "$WAKELINK_HOME/devices.json" "$WALKTHROUGH_PROBE/devices.json"; echo "$WAKELINK_HOME" > "$WALKTHROUGH_PROBE/wakelink-home"',
      last,
    ].join('\n');
    const scriptFile = join(root, 'walkthrough.sh');
    writeFileSync(scriptFile, script);

    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp, WALKTHROUGH_PROBE: probe };
    for (const name of Object.keys(env)) if (name === 'WAKELINK_HOME' || name === 'NODE_ENV' || name.startsWith('VITEST')) delete env[name];
    const child = spawn('bash', [scriptFile], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    leftovers.push(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), WALKTHROUGH_LIMIT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);

    const pgids = existsSync(join(probe, 'pgids')) ? readFileSync(join(probe, 'pgids'), 'utf8').split(/\s+/).filter(Boolean).map(Number) : [];
    leftovers.push(...pgids);
    const logs = (): string => {
      const tryDir = existsSync(join(probe, 'try')) ? readFileSync(join(probe, 'try'), 'utf8').trim() : '';
      return ['relay.log', 'sim.log'].map((file) => {
        const path = join(tryDir, file);
        return `--- ${file}\n${tryDir && existsSync(path) ? readFileSync(path, 'utf8') : '(none)'}`;
      }).join('\n');
    };
    const diagnosis = `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n${logs()}`;
    expect(code, diagnosis).toBe(0);

    for (const n of [1, 2, 3]) expect(stdout, diagnosis).toContain(`magic packet (102 bytes) wakes aa:bb:cc:00:00:0${n}`);
    // The board was claimed with its code (issue 14): its own credential, no account token on it.
    expect(stdout).toContain(`claimed WL1A2B3C on http://127.0.0.1:${relayPort} and saved it as "sim"; the board now connects with its own credential`);
    expect(stdout).toMatch(/^WL1A2B3C +sim +yes +own credential dc_\S+… /m);
    expect(stdout).toContain(`wake sim (WL1A2B3C) via tcp 127.0.0.1:${lanPort}: success`);
    expect(stdout).toContain(`wake sim (WL1A2B3C) via http http://127.0.0.1:${relayPort}: success`);
    expect(stdout).toContain(`wake sim (WL1A2B3C) via wss ws://127.0.0.1:${relayPort}: success`);
    expect(stdout).toContain(`info sim (WL1A2B3C) via wss ws://127.0.0.1:${relayPort}: success`);
    expect(stdout).toMatch(/^NAME +DEVICE ID +VIA +ADDRESS +TOKEN\nsim +WL1A2B3C +http +http:\/\/127\.0\.0\.1:\d+ +saved$/m);

    // The CLI kept its file in the walkthrough's temp folder, with the board's token; never in ~.
    expect(readFileSync(join(probe, 'wakelink-home'), 'utf8').trim().startsWith(`${tmp}/`)).toBe(true);
    const saved = JSON.parse(readFileSync(join(probe, 'devices.json'), 'utf8'));
    expect(saved.sim).toMatchObject({ device_id: 'WL1A2B3C', ip: '127.0.0.1', port: lanPort, http_url: `http://127.0.0.1:${relayPort}` });
    expect(saved.sim.token).toMatch(/^[A-Za-z0-9]{96}$/);
    expect(readdirSync(home)).not.toContain('.wakelink');

    // `kill %1 %2 %3` stopped everything it started (relay, listener, board), children included.
    expect(pgids).toHaveLength(3);
    const deadline = Date.now() + EXIT_LIMIT_MS;
    while (pgids.some(groupAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pgids.filter(groupAlive), 'process groups still running after the walkthrough').toEqual([]);
  }, WALKTHROUGH_LIMIT_MS + EXIT_LIMIT_MS + 30_000);
});
