import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../shared');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

// shared/ must run unchanged on XS: only relative imports inside shared/, no Node-only globals.
const FORBIDDEN = [
  /\bBuffer\b/, /\bprocess\./, /\brequire\(/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/,
  /\bDate\.now\b/, /\bnew Date\b/, /\bMath\.random\b/, /\bglobalThis\.crypto\b/, /\bcrypto\.getRandomValues\b/,
  /\bTextEncoder\b/, /\bTextDecoder\b/, /\bconsole\./, /\b__dirname\b/, /\bimport\.meta\b/,
];

describe('shared/ purity guard', () => {
  const files = sources(root);

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [path.relative(root, f), f]))('%s imports only shared/ and uses no Node-only globals', (_name, file) => {
    // Comments may name what is forbidden (to explain why); only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
    for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
      const target = match[1]!;
      expect(target.startsWith('.'), `${target} is not a relative import`).toBe(true);
      expect(path.resolve(path.dirname(file), target).startsWith(root), `${target} leaves shared/`).toBe(true);
    }
    expect(text).not.toMatch(/\bimport\s*\(/);
    for (const pattern of FORBIDDEN) expect(text, `uses ${pattern}`).not.toMatch(pattern);
  });

  it('type-checks with no ambient types at all (tsconfig types: [])', () => {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'pipe' });
  });
});
