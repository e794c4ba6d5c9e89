/**
 * The history buffer (issue 13): audit rows are written in batches off the hot path. A batch the
 * database refuses is kept and retried, never half-written; past its bound the oldest entries are
 * dropped and counted; close() writes what is left and takes nothing more.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeDatabase, openDatabase, openUnsyncedConnection, type Db } from '../../server/db/database';
import { LIMITS } from '../../server/limits';
import { createHistoryStore, HistoryBuffer } from '../../server/store/sqlite/history';
import { WriteHealth } from '../../server/store/write-health';

/** A real relay database (file, main and unsynced connections) for the store tests; removed after. */
function withHistoryDatabase(test: (db: { file: string; main: Db; unsynced: Db; addUser: (name: string) => number }) => void): void {
  vi.useRealTimers();
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-history-'));
  const file = path.join(dir, 'relay.db');
  const main = openDatabase(file);
  const unsynced = openUnsyncedConnection(file);
  const insertUser = main.prepare("INSERT INTO users (username, password_hash, devices_limit, created_at) VALUES (?, 'x', 5, 0)");
  try {
    test({ file, main, unsynced, addUser: (name) => Number(insertUser.run(name).lastInsertRowid) });
  } finally {
    closeDatabase(unsynced);
    closeDatabase(main);
    rmSync(dir, { recursive: true, force: true });
  }
}

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
    vi.advanceTimersByTime(LIMITS.historyFlushMs * 2);
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

  it('refused batches back off: twice as long after each refusal, up to historyRetryMaxMs, then the normal pace again', () => {
    let attempts = 0;
    let refuse = true;
    const buffer = new HistoryBuffer<number>(() => {
      attempts += 1;
      if (refuse) throw new Error('SQLITE_BUSY');
    }, () => {});
    buffer.add(1);
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(attempts).toBe(1);
    vi.advanceTimersByTime(LIMITS.historyFlushMs * 2 - 1);
    expect(attempts).toBe(1);
    vi.advanceTimersByTime(1);
    expect(attempts).toBe(2);
    // A full buffer does not cut the back-off short.
    for (let i = 0; i < LIMITS.historyBufferEntries; i += 1) buffer.add(i);
    vi.advanceTimersByTime(0);
    expect(attempts).toBe(2);
    vi.advanceTimersByTime(LIMITS.historyFlushMs * 4);
    expect(attempts).toBe(3);
    // Then 2 s, 4 s, and every historyRetryMaxMs (8 s) from there on.
    vi.advanceTimersByTime(LIMITS.historyFlushMs * 8 + LIMITS.historyFlushMs * 16);
    expect(attempts).toBe(5);
    vi.advanceTimersByTime(LIMITS.historyRetryMaxMs * 10);
    expect(attempts).toBe(15);
    refuse = false;
    vi.advanceTimersByTime(LIMITS.historyRetryMaxMs);
    const settled = attempts;
    buffer.add(2);
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(attempts).toBe(settled + 1);
    // The back-off starts over: a new refusal is retried after twice historyFlushMs, not 8 s.
    refuse = true;
    buffer.add(3);
    vi.advanceTimersByTime(LIMITS.historyFlushMs);
    expect(attempts).toBe(settled + 2);
    vi.advanceTimersByTime(LIMITS.historyFlushMs * 2);
    expect(attempts).toBe(settled + 3);
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

describe('history store on a database another process has locked (F9)', () => {
  it('a batch fails at once instead of waiting out the busy timeout, is not a degraded disk, and is written once the lock ends', () => {
    withHistoryDatabase(({ file, unsynced, addUser }) => {
      const locker = new Database(file);
      try {
        const userId = addUser('h');
        const health = new WriteHealth();
        const store = createHistoryStore(unsynced, health, { failFastOnLock: true });
        locker.exec('BEGIN EXCLUSIVE');
        store.recordHistory({ userId, at: Date.now(), kind: 'command', fromEndpoint: null, toEndpoint: null, status: 'delivered', meta: {} }, 100);
        const started = performance.now();
        store.buffer.flush();
        expect(performance.now() - started).toBeLessThan(LIMITS.sqliteBusyTimeoutMs / 4);
        expect(health.current()).toBeNull();
        expect(unsynced.pragma('busy_timeout', { simple: true })).toBe(LIMITS.sqliteBusyTimeoutMs);
        locker.exec('COMMIT');
        expect(store.listHistory(userId, { limit: 10 })).toHaveLength(1);
        store.buffer.close();
      } finally {
        if (locker.inTransaction) locker.exec('ROLLBACK');
        locker.close();
      }
    });
  });

  it('a batch of several hundred entries of two accounts is written in order, whole, each account kept at its bound', () => {
    withHistoryDatabase(({ unsynced, addUser }) => {
      const [alice, bob] = ['ha', 'hb'].map(addUser) as [number, number];
      const store = createHistoryStore(unsynced);
      const max = 150;
      // 237 = two chunks of 100, three of 10 and seven single rows; alice gets 2 of every 3.
      for (let i = 0; i < 237; i++) {
        store.recordHistory({ userId: i % 3 === 2 ? bob : alice, at: 1_000 + i, kind: 'command', fromEndpoint: `e${i}`, toEndpoint: null, status: 'delivered', meta: { n: i } }, max);
      }
      store.buffer.flush();
      const all = (userId: number) => {
        const rows = store.listHistory(userId, { limit: 1_000 });
        expect(rows.map((row) => row.id)).toEqual([...rows.map((row) => row.id)].sort((a, b) => b - a));
        return rows.map((row) => row.meta.n as number).reverse();
      };
      const aliceRows = all(alice);
      // 158 written; past max + slack - 1 (151) the oldest are trimmed down to max.
      expect(aliceRows).toEqual(Array.from({ length: 237 }, (_, i) => i).filter((i) => i % 3 !== 2).slice(-max));
      expect(all(bob)).toEqual(Array.from({ length: 237 }, (_, i) => i).filter((i) => i % 3 === 2));
      const newest = store.listHistory(alice, { limit: 1 })[0]!;
      expect(newest).toMatchObject({ at: 1_000 + 235, fromEndpoint: 'e235', toEndpoint: null, status: 'delivered', kind: 'command', meta: { n: 235 } });
      // A second batch counts from the first: bob passes the bound now, alice stays at it.
      for (let i = 237; i < 337; i++) store.recordHistory({ userId: bob, at: 1_000 + i, kind: 'command', fromEndpoint: null, toEndpoint: null, status: 'queued', meta: { n: i } }, max);
      store.buffer.flush();
      expect(all(bob)).toHaveLength(max);
      expect(all(bob).at(-1)).toBe(336);
      expect(all(alice)).toHaveLength(max);
      store.buffer.close();
    });
  });

  it('an account counted earlier in a batch that also brings the 10,001st account keeps its bound (no mid-batch recount)', () => {
    withHistoryDatabase(({ main, unsynced, addUser }) => {
      const ids = main.transaction(() => Array.from({ length: 10_001 }, (_, i) => addUser(`u${i}`)))();
      const store = createHistoryStore(unsynced);
      const entry = (userId: number, n: number) => ({ userId, at: n, kind: 'command' as const, fromEndpoint: null, toEndpoint: null, status: 'delivered', meta: { n } });
      // 10,000 accounts counted (the bound), one row each, flushed in chunks below the buffer's bound.
      for (let i = 0; i < 10_000; i++) {
        store.recordHistory(entry(ids[i]!, i), 100);
        if (i % 400 === 399) store.buffer.flush();
      }
      store.buffer.flush();
      const [first, newcomer] = [ids[0]!, ids[10_000]!];
      for (let i = 0; i < 4; i++) store.recordHistory(entry(first, 20_000 + i), 5);
      store.recordHistory(entry(newcomer, 30_000), 5);
      for (let i = 4; i < 8; i++) store.recordHistory(entry(first, 20_000 + i), 5);
      store.buffer.flush();
      const kept = store.listHistory(first, { limit: 50 }).map((row) => row.meta.n);
      expect(kept).toEqual([20_007, 20_006, 20_005, 20_004, 20_003]);
      expect(store.listHistory(newcomer, { limit: 50 })).toHaveLength(1);
      store.buffer.close();
    });
  });
});
