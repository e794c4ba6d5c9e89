/**
 * Entry for bench/run.ts: runs the relay sections (2–5) in a separate load-generator process
 * (driver.ts), started through bash so its open-file limit can be raised first; the relay and the
 * baseline it starts inherit that limit.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RelayBenchResults } from './profiles';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DRIVER = fileURLToPath(new URL('./driver.ts', import.meta.url));
/** Wanted open-file limit; if the hard limit is lower, the hard limit is used and big sizes are skipped. */
const WANTED_OPEN_FILES = 65_536;
const FULL_TIMEOUT_MS = 300_000;
const SMOKE_TIMEOUT_MS = 90_000;

export async function benchRelay(smoke: boolean): Promise<RelayBenchResults> {
  const script = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  const args = ['-c', script, process.execPath, '--import', 'tsx', DRIVER, ...(smoke ? ['--smoke'] : [])];
  const child = spawn('bash', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), smoke ? SMOKE_TIMEOUT_MS : FULL_TIMEOUT_MS);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`relay benchmark failed (exit ${code}); see its output above`);
  return JSON.parse(last) as RelayBenchResults;
}
