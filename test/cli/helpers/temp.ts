import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** One root per test file, removed when the file is done: homes, devices.json files, relay DBs. */
const root = mkdtempSync(join(tmpdir(), 'wl-cli-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

export function tempDir(prefix = 'home-'): string {
  return mkdtempSync(join(root, prefix));
}
