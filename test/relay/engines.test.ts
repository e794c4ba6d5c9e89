import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/production-tree';

const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, dom: string): boolean;
  satisfies(version: string, range: string): boolean;
};

interface LockEntry { version?: string; dev?: boolean; optional?: boolean; engines?: { node?: string } | string[] }

describe('package.json engines is true for every dependency (CI also installs with engine-strict)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

  it('the declared Node range lies inside the range of every installed package, dev or not', () => {
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    const outside: string[] = [];
    let checked = 0;
    for (const [location, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      // Optional packages for other platforms are never installed here.
      if (location === '' || range === undefined || !existsSync(join(ROOT, location))) continue;
      checked += 1;
      if (!semver.subset(pkg.engines.node, range)) outside.push(`${location}@${entry.version}: node ${range}`);
    }
    expect(checked).toBeGreaterThan(50);
    expect(outside).toEqual([]);
  });
});
