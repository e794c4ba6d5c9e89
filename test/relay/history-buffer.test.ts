/**
 * The history buffer (issue 13): audit rows are written in batches off the hot path. A batch the
 * database refuses is kept and retried, never half-written; past its bound the oldest entries are
 * dropped and counted; close() writes what is left and takes nothing more.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../server/limits';
import { HistoryBuffer } from '../../server/store/sqlite/history';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('history buffer', () => {
  it('collects entries of one window into one write, within historyFlushMs', () => {
    const writes: number[][] = [];
    const buffer = new HistoryBuffer<number>((items) => writes.push(items), () => {});
    for (let i = 0; i < 10; i += 1) buffer.add(i);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(writes).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    buffer.add(10);
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(writes).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10]]);
  });

  it('writes at once (next turn) when historyBufferEntries wait', () => {
    const writes: number[][] = [];
    const buffer = new HistoryBuffer<number>((items) => writes.push(items), () => {});
    for (let i = 0; i < LIMITS.historyBufferEntries; i += 1) buffer.add(i);
    vi.advanceTimersByTime(0);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(LIMITS.historyBufferEntries);
  });

  it('a refused batch is kept in order and retried; entries added meanwhile follow it', () => {
    const writes: number[][] = [];
    const failures: unknown[] = [];
    let refuse = true;
    const buffer = new HistoryBuffer<number>((items) => {
      if (refuse) throw new Error('SQLITE_FULL');
      writes.push(items);
    }, (error) => failures.push(error));
    buffer.add(1);
    buffer.add(2);
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(failures).toHaveLength(1);
    buffer.add(3);
    refuse = false;
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(writes).toEqual([[1, 2, 3]]);
    expect(buffer.dropped).toBe(0);
  });

  it('while the database refuses, at most twice historyBufferEntries are kept: the oldest are dropped and counted', () => {
    let refuse = true;
    let written: number[] = [];
    const buffer = new HistoryBuffer<number>((items) => {
      if (refuse) throw new Error('SQLITE_READONLY');
      written = items;
    }, () => {});
    const bound = LIMITS.historyBufferEntries * 2;
    for (let i = 0; i < bound + 25; i += 1) buffer.add(i);
    expect(buffer.dropped).toBe(25);
    refuse = false;
    buffer.flush();
    expect(written).toHaveLength(bound);
    expect(written[0]).toBe(25);
    expect(written.at(-1)).toBe(bound + 24);
  });

  it('close() writes what waits, then takes nothing more', () => {
    const writes: number[][] = [];
    const buffer = new HistoryBuffer<number>((items) => writes.push(items), () => {});
    buffer.add(1);
    buffer.close();
    buffer.add(2);
    vi.advanceTimersByTime(LIMITS.historyFlushMs * 4);
    expect(writes).toEqual([[1]]);
  });
});
