import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Longest a test waits for a console line of the simulator. */
export const SIM_LINE_LIMIT_MS = 15_000;

export interface SimProcess {
  lanPort: number;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `npm run sim`'s entry (sim/main.ts) as its own process, exactly as a user would. */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--lan-port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutMs = SIM_LINE_LIMIT_MS) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!pattern.test(text)) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`simulator never printed ${pattern}; output:\n${text}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
    check();
  });
  await waitFor(/LAN 127\.0\.0\.1:\d+/);
  const lanPort = Number(/LAN 127\.0\.0\.1:(\d+)/.exec(text)![1]);
  return {
    lanPort,
    output: () => text,
    waitFor,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
