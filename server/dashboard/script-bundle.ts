import { readFileSync } from 'node:fs';

/**
 * The dashboard's script (/dashboard.js): server/dashboard/browser/ bundled with shared/ by
 * scripts/build.mjs (target `dashboard`, at `npm ci`'s prepare) into dist/dashboard/dashboard.js.
 * Read through the build script's own ensureBuilt: an unchanged checkout never rebuilds, a changed
 * source (shared/ included) is rebuilt before it is served, and an install without sources (the
 * container image) serves the prebuilt file. esbuild is a runtime dependency, so none of this
 * needs a dev package.
 *
 * The repository root is two levels up both from this file (server/dashboard/) and from the
 * bundled relay that contains it (dist/relay/main.mjs).
 */
const ROOT = new URL('../../', import.meta.url);

interface BuildScript {
  ensureBuilt(target: string): Promise<string>;
}

let loaded: Promise<string> | undefined;

/** The script's text, built at most once per process. A failure is thrown (the relay must not start without its page script). */
export function dashboardScript(): Promise<string> {
  loaded ??= (async () => {
    const build = (await import(new URL('scripts/build.mjs', ROOT).href)) as BuildScript;
    return readFileSync(new URL(await build.ensureBuilt('dashboard')), 'utf8');
  })();
  loaded.catch(() => {
    loaded = undefined; // the next relay built in this process tries again
  });
  return loaded;
}
