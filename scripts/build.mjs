// Compiles what production runs, the relay and the CLI, from TypeScript into plain JavaScript in
// dist/ (one esbuild bundle each; npm packages stay external and load from node_modules), and the
// dashboard's browser script (shared/ included: the page seals and opens board commands itself).
// `npm run build`, and `prepare` (so `npm ci`, with or without --omit=dev, builds once) and
// `prepack` run it. `npm start` and `cli/bin.mjs` call ensureBuilt(): it compares every source
// file the last build read (path, size, mtime) with what is on disk now and rebuilds only when one
// changed, so a checkout being edited never runs stale code and an unchanged one never rebuilds.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What gets built. `entry` is the TypeScript source; `outfile` what runs; `browser`: a page script. */
export const TARGETS = {
  relay: { entry: 'server/main.ts', outfile: 'dist/relay/main.mjs' },
  cli: { entry: 'cli/main.ts', outfile: 'dist/cli/main.mjs' },
  // Served by the relay as /dashboard.js (server/dashboard/script-bundle.ts): one self-contained
  // script, no module loader, no source map (the page's CSP allows this origin's scripts only).
  dashboard: { entry: 'server/dashboard/browser/main.ts', outfile: 'dist/dashboard/dashboard.js', browser: true },
};

/** esbuild options per kind of output: Node bundles keep npm packages external; the page script has none. */
function platformOptions(target) {
  if (TARGETS[target].browser) return { platform: 'browser', format: 'iife', target: 'es2022', sourcemap: false, legalComments: 'none' };
  return { platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: 'linked' };
}

const stampFile = (target) => path.join(ROOT, path.dirname(TARGETS[target].outfile), 'inputs.json');

function fingerprint(file) {
  const stat = statSync(path.join(ROOT, file), { throwIfNoEntry: false });
  return stat ? [stat.size, Math.trunc(stat.mtimeMs)] : null;
}

/**
 * 'fresh' (build matches the sources), 'stale' (a source changed, or never built), or 'prebuilt'
 * (the TypeScript sources are not here at all, e.g. a production image that copied dist/ only).
 */
export function buildState(target) {
  if (fingerprint(TARGETS[target].entry) === null) {
    return fingerprint(TARGETS[target].outfile) === null ? 'missing' : 'prebuilt';
  }
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile(target), 'utf8'));
  } catch {
    return 'stale';
  }
  if (fingerprint(TARGETS[target].outfile) === null) return 'stale';
  for (const [file, expected] of Object.entries(stamp.inputs ?? {})) {
    const actual = fingerprint(file);
    if (actual === null || actual[0] !== expected[0] || actual[1] !== expected[1]) return 'stale';
  }
  return 'fresh';
}

/** Writes through a temporary name and renames: a concurrent reader never sees half a file. */
function writeAtomically(file, contents) {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

export async function build(target) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(`cannot build ${TARGETS[target].outfile}: the esbuild package is not installed (run npm ci)`);
  }
  const { entry, outfile } = TARGETS[target];
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
    outfile: path.join(ROOT, outfile),
    bundle: true,
    ...platformOptions(target),
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  for (const output of result.outputFiles) writeAtomically(output.path, output.contents);
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = fingerprint(file);
  // Last, so an interrupted build is seen as stale next time.
  writeAtomically(stampFile(target), JSON.stringify({ entry, inputs }, null, 1) + '\n');
}

/** The file URL of `target`'s JavaScript, rebuilt first if a source changed since the last build. */
export async function ensureBuilt(target) {
  const state = buildState(target);
  if (state === 'missing') throw new Error(`${TARGETS[target].outfile} is missing and there is no source to build it from`);
  if (state === 'stale') await build(target);
  return pathToFileURL(path.join(ROOT, TARGETS[target].outfile)).href;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    for (const target of Object.keys(TARGETS)) await build(target);
    process.stdout.write(`built ${Object.values(TARGETS).map((t) => t.outfile).join(', ')}\n`);
  } catch (error) {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
