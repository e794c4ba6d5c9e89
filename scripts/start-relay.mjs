// `npm start`: bundles the relay (server/main.ts) with esbuild into build/relay/main.mjs and runs
// it in this same process, so signals reach the relay directly and production runs plain compiled
// JavaScript (no TypeScript loader; no keepNames wrappers on per-connection closures). npm
// packages stay external and load from node_modules as usual. The build takes well under a second.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = fileURLToPath(new URL('../build/relay/main.mjs', import.meta.url));

try {
  await build({
    entryPoints: [fileURLToPath(new URL('../server/main.ts', import.meta.url))],
    absWorkingDir: root,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch (error) {
  process.stderr.write(`wakelink relay: build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
await import(pathToFileURL(outfile).href);
