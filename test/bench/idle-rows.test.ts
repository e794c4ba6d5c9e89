import { describe, expect, it } from 'vitest';
import { idleRows, type IdleRow, type IdleSample } from '../../bench/relay/idle';

const sample = (connections: number, rssBytesPerConnection: number): IdleSample =>
  ({ connections, rssBytesPerConnection, heapBytesPerConnection: 3_000, openSeconds: 0.1 });

describe('idle rows (L1 report)', () => {
  it('gives the RSS ratio when the baseline grew, and a note instead of Infinity or NaN when it did not', () => {
    const relay = new Map<number, IdleSample | string>([[100, sample(100, 2_621)], [500, sample(500, 0)], [1_000, sample(1_000, 4_000)]]);
    const baseline = new Map<number, IdleSample | string>([[100, sample(100, 0)], [500, sample(500, 0)], [1_000, sample(1_000, 5_000)]]);
    const floor = new Map<number, IdleSample | string>([[100, sample(100, 1_000)], [500, sample(500, 1_000)], [1_000, sample(1_000, 2_000)]]);
    const [none, neither, grown, missing] = idleRows([100, 500, 1_000, 10_000], relay, baseline, floor) as [IdleRow, IdleRow, IdleRow, IdleRow];
    for (const row of [none, neither]) {
      expect(row.rssRatio).toBeUndefined();
      expect(row.ratioNote).toBe(`no ratio: the baseline's RSS did not grow with ${row.connections} sockets (measure more)`);
    }
    expect(grown.rssRatio).toBe(0.8);
    expect(grown.ratioNote).toBeUndefined();
    expect(grown.floor?.rssBytesPerConnection).toBe(2_000);
    expect(missing).toEqual({ connections: 10_000, skipped: 'skipped: not reached' });
  });

  it('a size the floor server could not hold keeps the relay and baseline figures', () => {
    const relay = new Map<number, IdleSample | string>([[1_000, sample(1_000, 4_000)]]);
    const baseline = new Map<number, IdleSample | string>([[1_000, sample(1_000, 5_000)]]);
    const floor = new Map<number, IdleSample | string>([[1_000, 'skipped: the machine refused connection 900 of 1000 (EMFILE)']]);
    const [row] = idleRows([1_000], relay, baseline, floor) as [IdleRow];
    expect(row.skipped).toBeUndefined();
    expect(row.floor).toBeUndefined();
    expect(row.rssRatio).toBe(0.8);
  });
});
