import { chmodSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

/**
 * A headless Chromium that an npm package ships inside itself (`@sparticuz/chromium`, a dev
 * dependency: brotli-compressed in the package, nothing downloaded at install), so the browser
 * test needs no system browser. The binary is unpacked once per package version into
 * node_modules/.cache (through a temporary name, so parallel test runs never see half a file).
 */
export async function packagedChromium(): Promise<string> {
  // The package exports no package.json: walk up from its entry point to its own one.
  let root = dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'));
  const manifest = (dir: string) => {
    const file = join(dir, 'package.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }) : {};
  };
  while (manifest(root).name !== '@sparticuz/chromium') {
    if (dirname(root) === root) throw new Error('@sparticuz/chromium is not installed (run npm ci)');
    root = dirname(root);
  }
  const version = manifest(root).version ?? 'unknown';
  const target = join(root, '..', '..', '.cache', 'wakelink-chromium', version, 'chromium');
  if (existsSync(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await pipeline(createReadStream(join(root, 'bin', 'chromium.br')), createBrotliDecompress(), createWriteStream(temporary, { mode: 0o755 }));
    chmodSync(temporary, 0o755);
    renameSync(temporary, target);
  } finally {
    rmSync(temporary, { force: true });
  }
  return target;
}
