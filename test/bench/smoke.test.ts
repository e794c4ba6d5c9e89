import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

// Keeps `npm run bench` from rotting: the smoke mode runs every benchmark briefly.
describe('benchmark smoke run', () => {
  it('prints the protocol table with a figure and a ratio for every engine', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'bench/run.ts', '--smoke', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const lines = out.trim().split('\n');
    const results = JSON.parse(lines.at(-1)!) as { protocol: { engine: string; pairsPerSecond: number; ratioToNodeCrypto: number }[] };
    expect(results.protocol.map((r) => r.engine)).toEqual([
      'Node, node:crypto backend', 'Node, plain-TS backend', 'XS (xsnap), plain-TS backend',
    ]);
    for (const row of results.protocol) {
      expect(row.pairsPerSecond, row.engine).toBeGreaterThan(0);
      expect(row.ratioToNodeCrypto, row.engine).toBeGreaterThan(0);
      expect(out).toContain(row.engine); // and it is in the printed table
    }
  }, 180_000);
});
