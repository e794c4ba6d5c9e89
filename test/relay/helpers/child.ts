import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface ChildRelay {
  child: ChildProcessWithoutNullStreams;
  http: string;
  ws: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/**
 * Runs server/main.ts under tsx as ONE real child process (the tsx CLI would fork a second process,
 * and a SIGKILL aimed at the wrapper would leave the relay running), or, with 'npm-start', what
 * `npm start` runs (scripts/start-relay.mjs and the built dist/relay/main.mjs) minus npm itself.
 */
export function spawnRelay(env: Record<string, string>, how: 'tsx' | 'npm-start' = 'tsx', as?: { uid: number; gid: number }): ChildRelay {
  const args = how === 'tsx' ? ['--import', 'tsx', 'server/main.ts'] : ['--enable-source-maps', 'scripts/start-relay.mjs'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...env },
    // Another user (tests running as root use it to meet file permissions as a service would).
    ...(as ?? {}),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal }));
  });
  return { child, http: '', ws: '', exited, stdout: () => out, stderr: () => err };
}

/** Waits for the "listening on http://…" line and fills in the URLs. */
export async function waitListening(relay: ChildRelay, timeoutMs = 20_000): Promise<ChildRelay> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on (http:\/\/[^\s]+)/.exec(relay.stdout());
    if (match) {
      relay.http = match[1]!;
      relay.ws = match[1]!.replace('http://', 'ws://');
      return relay;
    }
    if (relay.child.exitCode !== null) throw new Error(`relay exited early: ${relay.stderr()}`);
    if (Date.now() > deadline) throw new Error(`relay did not start: ${relay.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A crash (SIGKILL) of `relay`, then a new relay process on the same environment and database. */
export async function crashAndRestart(relay: ChildRelay, env: Record<string, string>): Promise<ChildRelay> {
  relay.child.kill('SIGKILL');
  await relay.exited;
  return waitListening(spawnRelay(env));
}
