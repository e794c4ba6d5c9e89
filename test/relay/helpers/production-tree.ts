import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * What `npm ci --omit=dev` leaves in a fresh clone, without recompiling native modules: the
 * repository's files (tracked and new, not ignored) and, from package-lock.json, exactly the
 * packages that are not dev-only, copied (not linked: Node resolves links to their real path,
 * where the dev packages are). `.ci/run` does the real `npm ci --omit=dev` in a clone as well.
 */
export function productionTree(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((file) => file !== '' && existsSync(join(ROOT, file)));
  for (const file of files) cpSync(join(ROOT, file), join(dir, file), { recursive: true });
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (location === '' || entry.dev || entry.devOptional) continue;
    // Optional packages for other platforms (e.g. other esbuild binaries) are not installed.
    if (!existsSync(join(ROOT, location))) continue;
    cpSync(join(ROOT, location), join(dir, location), {
      recursive: true,
      // Nested node_modules are entries of their own in the lock file.
      filter: (source) => !source.slice(join(ROOT, location).length).includes('/node_modules'),
    });
  }
}

/** Runs a package.json script with the real npm, as a user or a container would. */
export function npm(dir: string, args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn('npm', args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_update_notifier: 'false', ...env },
  });
}

/** Every process whose working directory is inside `dir` (what "no process left behind" means here). */
export function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Direct children of `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
  } catch {
    return [];
  }
}
