/**
 * Builds the real lin image of our firmware with the installed Moddable SDK (`mcconfig -m -p lin
 * -t build`, release mode only: a debug lin build's makefile kills simulator processes by name)
 * and compiles our headless host (host.c) with the system compiler. Both land in a cache under the
 * system temp directory, keyed by this checkout, never in the repository. A stamp of every input
 * makes a second call with nothing changed return at once; a lock directory keeps two processes
 * (parallel test workers) from building into the same place.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HOST_SOURCE = fileURLToPath(new URL('./host.c', import.meta.url));
/** What the image is built from: a change in any of these means a rebuild. */
const INPUTS = ['manifest.json', 'firmware', 'shared'];
const LOCK_STALE_MS = 15 * 60_000;
const LOCK_POLL_MS = 250;

export type ImageVariant = 'release' | 'instrument';

export interface ModdableImage {
  /** The firmware as a shared library (mc.so). */
  library: string;
  /** Our headless host that loads and runs it. */
  host: string;
  variant: ImageVariant;
}

/** The one line a user sees when the SDK is missing. */
export class ModdableSdkMissing extends Error {}
Object.defineProperty(ModdableSdkMissing.prototype, 'name', { value: 'ModdableSdkMissing' });

/** $MODDABLE with its Linux tools built, or a clear error. */
export function moddableSdk(): string {
  const sdk = process.env.MODDABLE;
  if (!sdk) {
    throw new ModdableSdkMissing('the Moddable SDK is needed: install it (its "Getting Started", Linux section) and set $MODDABLE; see README "Firmware: build and flash"');
  }
  if (!existsSync(path.join(sdk, 'build/bin/lin/release/mcconfig'))) {
    throw new ModdableSdkMissing(`$MODDABLE=${sdk} has no built Linux tools (build/bin/lin/release/mcconfig): run make in $MODDABLE/build/makefiles/lin`);
  }
  return sdk;
}

function cacheRoot(): string {
  const checkout = createHash('sha256').update(REPO).digest('hex').slice(0, 12);
  return path.join(tmpdir(), `wakelink-moddable-${process.getuid?.() ?? 'user'}`, checkout);
}

function hashTree(hash: ReturnType<typeof createHash>, entry: string): void {
  const full = path.join(REPO, entry);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) hashTree(hash, path.join(entry, name));
    return;
  }
  hash.update(entry).update('\0').update(readFileSync(full)).update('\0');
}

function stampOf(sdk: string, variant: ImageVariant, settings: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(sdk).update(variant).update(settings.join('\n'));
  for (const entry of INPUTS) hashTree(hash, entry);
  hash.update(readFileSync(HOST_SOURCE));
  return hash.digest('hex');
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(dir: string, work: () => T): T {
  const lock = path.join(dir, '.lock');
  mkdirSync(dir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (existsSync(lock) ? statSync(lock).mtimeMs : Date.now());
      if (age > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else sleep(LOCK_POLL_MS);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; what: string }): void {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${options.what} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
}

function compileHost(sdk: string, output: string): void {
  const glib = (flag: string): string[] => execFileSync('pkg-config', [flag, 'glib-2.0'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  const compiler = process.env.CC || 'cc';
  run(compiler, [
    '-O2', '-Wall', '-DmxLinux=1', `-I${path.join(sdk, 'build/simulators/modules')}`, ...glib('--cflags'),
    HOST_SOURCE, '-o', output, ...glib('--libs'), '-ldl',
  ], { cwd: REPO, env: process.env, what: 'compiling the headless host (sim/moddable/host.c)' });
}

/**
 * Builds (or reuses) the lin image. `settings` are extra mcconfig `key=value` build settings;
 * `instrument` builds with XS instrumentation (stack high-water mark, GC count) for the memory bench.
 */
export function buildModdableImage(options: { variant?: ImageVariant; settings?: readonly string[] } = {}): ModdableImage {
  const sdk = moddableSdk();
  const variant = options.variant ?? 'release';
  const settings = options.settings ?? [];
  const out = path.join(cacheRoot(), settings.length ? `${variant}-${createHash('sha256').update(settings.join('\n')).digest('hex').slice(0, 8)}` : variant);
  const image: ModdableImage = {
    library: path.join(out, 'bin/lin/mc', variant, path.basename(REPO.replace(/\/$/, '')), 'mc.so'),
    host: path.join(out, 'wakelink-host'),
    variant,
  };
  return withLock(out, () => {
    const stamp = stampOf(sdk, variant, settings);
    const stampFile = path.join(out, 'stamp');
    if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(image.library) && existsSync(image.host)) return image;
    rmSync(stampFile, { force: true });
    const tools = path.join(sdk, 'build/bin/lin/release');
    // The SDK compiles our TypeScript with the first tsc on PATH: ours (>= 6), not whatever is installed globally.
    const env = { ...process.env, MODDABLE: sdk, PATH: [path.join(REPO, 'node_modules/.bin'), tools, process.env.PATH ?? ''].join(path.delimiter) };
    const args = ['-m', '-p', 'lin', '-t', 'build', '-o', out, ...(variant === 'instrument' ? ['-i'] : []), ...settings];
    run(path.join(tools, 'mcconfig'), args, { cwd: REPO, env, what: `mcconfig ${args.join(' ')}` });
    if (!existsSync(image.library)) throw new Error(`mcconfig finished but ${image.library} is missing`);
    compileHost(sdk, image.host);
    writeFileSync(stampFile, stamp);
    return image;
  });
}
