/**
 * The SDK tiers are not part of `npm test` (CI has no Moddable SDK), so without one they must fail
 * loudly, in one line, rather than look like a pass; and the simulator's moddable engine must say
 * what is missing before it opens any socket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function run(script: string, moddable: string | undefined): { status: number | null; stderr: string; stdout: string } {
  const env = { ...process.env };
  delete env.MODDABLE;
  if (moddable !== undefined) env.MODDABLE = moddable;
  const result = spawnSync(process.execPath, [script], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('the Moddable SDK tiers without an SDK', () => {
  it.each([
    ['scripts/test-moddable.mjs', /^test:moddable: needs the Moddable SDK/],
    ['scripts/typecheck-sdk.mjs', /^typecheck:sdk: needs the Moddable SDK/],
  ])('%s fails with one clear line when $MODDABLE is unset', (script, message) => {
    const result = run(script, undefined);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('test:moddable names a $MODDABLE that has no built tools', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'wl-no-sdk-'));
    try {
      const result = run('scripts/test-moddable.mjs', empty);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`$MODDABLE=${empty} has no built Linux tools`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('npm run sim -- --engine moddable says what is missing and exits', () => {
    const env = { ...process.env };
    delete env.MODDABLE;
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--engine', 'moddable', '--lan-port', '0'], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the Moddable SDK is needed: install it .* and set \$MODDABLE/);
  });
});
