import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions } from 'esbuild';

const CHILD = fileURLToPath(new URL('./xs-child.mjs', import.meta.url));

export interface XsRun {
  messages: unknown[];
  /** When the parent received each message (ms, monotonic clock of the child process). */
  receivedAt: number[];
  /** XS's own compute meter for the whole evaluation (deterministic for the same script). */
  compute: number | null;
}

/** esbuild settings for code evaluated by xsnap: one classic script, no Node or browser shims. */
export const XS_BUNDLE_OPTIONS = {
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  target: 'es2022',
  write: false,
  logLevel: 'silent',
} as const satisfies BuildOptions;

/** Bundles a TypeScript entry into one classic script, the form xsnap evaluates. */
export function bundleForXs(entry: string, define: Record<string, string> = {}): string {
  const result = buildSync({ ...XS_BUNDLE_OPTIONS, entryPoints: [entry], define });
  return result.outputFiles[0]!.text;
}

export interface XsRunOptions {
  timeoutMs?: number;
  /** esbuild `define`: compile-time constants for the bundled script. */
  define?: Record<string, string>;
}

/** Runs `entry` (bundled) inside a real XS engine in a child process; rejects if XS throws. */
export function runInXs(entry: string, options: XsRunOptions = {}): Promise<XsRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-xs-'));
  const script = path.join(dir, 'bundle.js');
  writeFileSync(script, bundleForXs(entry, options.define));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      const messages: unknown[] = [];
      const receivedAt: number[] = [];
      let done: { compute: number | null } | undefined;
      let failure: string | undefined;
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as { type: string; t?: number; data?: unknown; compute?: number | null; message?: string };
        if (record.type === 'message') {
          messages.push(record.data);
          receivedAt.push(record.t ?? Number.NaN);
        }
        else if (record.type === 'done') done = { compute: record.compute ?? null };
        else if (record.type === 'error') failure = record.message;
      }
      if (done && code === 0) resolve({ messages, receivedAt, compute: done.compute });
      else reject(new Error(`XS run failed (exit ${code ?? signal}): ${failure ?? ''}\n${stderr.slice(-2000)}`));
    });
  });
}
