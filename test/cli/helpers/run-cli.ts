import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../cli/bin.mjs', import.meta.url));
/** Hard stop for one CLI run inside a test. */
export const CLI_RUN_LIMIT_MS = 20_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `wakelink` bin as a child process (async, so in-process test servers keep serving). */
export function runBin(args: string[], home: string, input?: string | { input?: string; timeoutMs?: number }): Promise<CliRun> {
  const options = typeof input === 'object' ? input : { input };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, WAKELINK_HOME: home, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? CLI_RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts the bin and resolves `started` once its stdout has a line matching `ready`; `exited` when it ends (killed after 20 s). */
export function startBinUntil(args: string[], home: string, ready: RegExp): { started: Promise<void>; exited: Promise<{ code: number | null; stdout: string; stderr: string }>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, WAKELINK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (ready.test(stdout)) resolve();
    });
    child.on('exit', () => reject(new Error(`exited before ready: ${stdout} ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_RUN_LIMIT_MS);
  void exited.then(() => clearTimeout(timer));
  return { started, exited, stderr: () => stderr };
}
