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
  // ES modules are strict code, on a board too; an IIFE bundle is not unless it says so (a write to
  // a frozen property must throw here as it does there, not fail silently).
  banner: { js: '"use strict";' },
} as const satisfies BuildOptions;

const FREEZE = fileURLToPath(new URL('./freeze.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** What a board preloads (and so freezes): the firmware and the protocol core. */
const PRELOADED_DIRS = ['firmware', 'shared'].map((dir) => path.join(REPO, dir) + path.sep);

/** An entry to bundle: a file, or module text resolved from a directory. */
export type XsEntry = string | { contents: string; resolveDir: string };

export interface XsBundleOptions {
  /** esbuild `define`: compile-time constants for the bundled script. */
  define?: Record<string, string>;
  /**
   * Freeze the intrinsics and every firmware/ and shared/ module's exports after their module
   * bodies have run, as a Moddable image does (default true: the board always does it).
   */
  freeze?: boolean;
}

function build(entry: XsEntry, define: Record<string, string>, metafile: boolean): ReturnType<typeof buildSync> {
  const source = typeof entry === 'string'
    ? { entryPoints: [entry] }
    : { stdin: { contents: entry.contents, resolveDir: entry.resolveDir, sourcefile: 'xs-entry.ts', loader: 'ts' as const } };
  return buildSync({ ...XS_BUNDLE_OPTIONS, ...source, define, metafile });
}

/**
 * Bundles a TypeScript entry into one classic script, the form xsnap evaluates. With `freeze`, a
 * first pass lists the preloaded modules the entry reaches; the bundle then evaluates all of them
 * first, freezes (node/xs/freeze.ts), and only then evaluates the entry itself.
 */
export function bundleForXs(entry: XsEntry, options: XsBundleOptions = {}): string {
  const define = options.define ?? {};
  if (options.freeze === false) return build(entry, define, false).outputFiles![0]!.text;
  const inputs = Object.keys(build(entry, define, true).metafile!.inputs).map((input) => path.resolve(input));
  const preloaded = inputs.filter((file) => PRELOADED_DIRS.some((dir) => file.startsWith(dir)));
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-xs-freeze-'));
  try {
    const freezer = path.join(dir, 'freeze-preloaded.ts');
    writeFileSync(freezer, [
      ...preloaded.map((file, i) => `import * as m${i} from ${JSON.stringify(file)};`),
      `import { freezeLikeModdablePreload } from ${JSON.stringify(FREEZE)};`,
      `freezeLikeModdablePreload([${preloaded.map((_, i) => `m${i}`).join(', ')}]);`,
    ].join('\n'));
    const original = typeof entry === 'string' ? `import ${JSON.stringify(path.resolve(entry))};` : entry.contents;
    // Imports evaluate in order: every preloaded module and the freeze first, then the entry's own code.
    const contents = `import ${JSON.stringify(freezer)};\n${original}`;
    const resolveDir = typeof entry === 'string' ? path.dirname(path.resolve(entry)) : entry.resolveDir;
    return build({ contents, resolveDir }, define, false).outputFiles![0]!.text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface XsRunOptions extends XsBundleOptions {
  timeoutMs?: number;
}

/** Key of the record the wrapper around every bundle sends when an exception escapes it. */
const UNCAUGHT = 'xsUncaughtException';

/** Runs `entry` (bundled) inside a real XS engine in a child process; rejects if XS throws. */
export function runInXs(entry: string, options: XsRunOptions = {}): Promise<XsRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-xs-'));
  const script = path.join(dir, 'bundle.js');
  // An uncaught exception surfaces from xsnap as "unhandled exception" only: report its text first.
  writeFileSync(script, `"use strict";\ntry {\n${bundleForXs(entry, options)}\n} catch (error) {\n  try { issueCommand(new TextEncoder().encode(JSON.stringify({ ${UNCAUGHT}: String(error) })).buffer); } catch {}\n  throw error;\n}\n`);
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
          const data = record.data as Record<string, unknown> | null;
          if (data !== null && typeof data === 'object' && UNCAUGHT in data) {
            failure = `uncaught in XS: ${String(data[UNCAUGHT])}`;
            continue;
          }
          messages.push(record.data);
          receivedAt.push(record.t ?? Number.NaN);
        }
        else if (record.type === 'done') done = { compute: record.compute ?? null };
        else if (record.type === 'error') failure = failure ? `${failure} (${record.message})` : record.message;
      }
      if (done && code === 0) resolve({ messages, receivedAt, compute: done.compute });
      else reject(new Error(`XS run failed (exit ${code ?? signal}): ${failure ?? ''}\n${stderr.slice(-2000)}`));
    });
  });
}
