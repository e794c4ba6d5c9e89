import type { Db } from '../../db/database';
import { LIMITS } from '../../limits';
import type { HistoryEntry, HistoryKind, HistoryStore, StoredHistoryEntry } from '../types';
import { sqliteErrorCode, type WriteHealth } from '../write-health';

interface HistoryRow { id: number; user_id: number; at: number; kind: HistoryKind; from_endpoint: string | null; to_endpoint: string | null; status: string; meta: string }

const toEntry = (row: HistoryRow): StoredHistoryEntry => ({
  id: row.id, userId: row.user_id, at: row.at, kind: row.kind, fromEndpoint: row.from_endpoint, toEndpoint: row.to_endpoint, status: row.status,
  meta: JSON.parse(row.meta) as Record<string, unknown>,
});

/** Rows per INSERT statement, largest first; a batch is written greedily (the last chunk is one row). */
const INSERT_CHUNKS = [100, 10, 1];

/** Per-account counts the trim works from; reset (and recounted lazily) after an age prune. */
const MAX_COUNTED_ACCOUNTS = 10_000;

/**
 * Entries collected in memory and written in one transaction every LIMITS.historyFlushMs (or at
 * LIMITS.historyBufferEntries): an audit row per routed command must not cost the hot path a
 * transaction of its own. A batch the database refuses (locked, full) stays for the next try; past
 * the buffer bound the oldest entries are dropped (and counted), never the routing itself.
 */
export class HistoryBuffer<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Entries dropped because the database refused them for too long. */
  dropped = 0;

  constructor(private readonly write: (items: T[]) => void, private readonly failed: (error: unknown) => void) {}

  private closed = false;
  /** Refused batches in a row: each retry waits twice as long, up to LIMITS.historyRetryMaxMs. */
  private failures = 0;
  private flushQueued = false;

  add(item: T): void {
    if (this.closed) return;
    this.pending.push(item);
    if (this.pending.length > LIMITS.historyBufferEntries * 2) this.dropped += this.pending.splice(0, this.pending.length - LIMITS.historyBufferEntries * 2).length;
    // A full buffer is written on the next turn, unless refused batches are backing off.
    if (this.pending.length >= LIMITS.historyBufferEntries && this.failures === 0 && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    } else if (!this.timer) this.schedule(LIMITS.historyFlushMs);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.flush(), ms);
    this.timer.unref();
  }

  /** Shutdown: writes what it can, then takes nothing more. */
  close(): void {
    this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    this.pending = [];
  }

  flush(): void {
    this.flushQueued = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.closed) return;
    const items = this.pending;
    this.pending = [];
    try {
      this.write(items);
      this.failures = 0;
    } catch (error) {
      this.failed(error);
      this.pending = [...items, ...this.pending];
      this.failures += 1;
      this.schedule(Math.min(LIMITS.historyFlushMs * 2 ** this.failures, LIMITS.historyRetryMaxMs));
    }
  }
}

/**
 * The history (audit log, issue 13) on the unsynced connection, written in batches (HistoryBuffer),
 * no fsync (it is not an acknowledged command, and a command's own queue row is durable). The count
 * bound per account is kept cheaply: the store counts each account's rows once, then trims the
 * oldest in chunks as it passes the bound, walking only the rows it deletes.
 */
export function createHistoryStore(
  db: Db,
  health?: WriteHealth,
  /** SQLite only (its busy timeout is a pragma of the connection); PostgreSQL bounds waits by its query timeout. */
  options: { failFastOnLock?: boolean } = {},
): HistoryStore & { buffer: HistoryBuffer<{ entry: HistoryEntry; max: number }> } {
  // Several rows per INSERT: under load the audit row per routed command was the relay's largest
  // cost the routing itself does not need (issue 17), and most of a one-row INSERT is the
  // statement's own step. Rows keep their order, so ids still follow time.
  const insertRows = new Map(INSERT_CHUNKS.map((rows) => [rows, db.prepare<unknown[]>(
    `INSERT INTO history (user_id, at, kind, from_endpoint, to_endpoint, status, meta) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
  )] as const));
  const countOf = db.prepare<[number]>('SELECT COUNT(*) AS n FROM history WHERE user_id = ?');
  const trimOldest = db.prepare<[number, number]>(
    'DELETE FROM history WHERE id IN (SELECT id FROM history WHERE user_id = ? ORDER BY id LIMIT ?)',
  );
  const ofUser = db.prepare<[number, number, number]>('SELECT * FROM history WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?');
  // Walks the account's rows newest first (history_user) until `limit` match: at most HISTORY_MAX_ENTRIES.
  const ofEndpoint = db.prepare<[number, number, string, string, number]>(
    'SELECT * FROM history WHERE user_id = ? AND id < ? AND (from_endpoint = ? OR to_endpoint = ?) ORDER BY id DESC LIMIT ?',
  );
  // Rows are inserted in time order, so the oldest ids are the oldest entries: delete in chunks
  // from the start of the table until a chunk holds a newer one (no index on `at` to maintain).
  const PRUNE_CHUNK = 1000;
  const pruneOldest = db.prepare<[number, number]>('DELETE FROM history WHERE id IN (SELECT id FROM history ORDER BY id LIMIT ?) AND at < ?');
  const counts = new Map<number, number>();

  const writeBatch = db.transaction((items: { entry: HistoryEntry; max: number }[]) => {
    // Counted before this batch's rows are in, as the trim below adds them itself. The bound on
    // counted accounts is kept before the batch: clearing in the middle would drop the counts of
    // accounts already counted, and a recount then would miss this batch's rows.
    if (counts.size + items.length > MAX_COUNTED_ACCOUNTS) counts.clear();
    const touched = new Map<number, number>();
    for (const { entry, max } of items) {
      let count = counts.get(entry.userId);
      if (count === undefined) count = (countOf.get(entry.userId) as { n: number }).n;
      counts.set(entry.userId, count + 1);
      touched.set(entry.userId, max);
    }
    insertAll(items);
    for (const [userId, max] of touched) {
      const count = counts.get(userId)!;
      // Trim in chunks of about 1 % so the bound costs O(1) per entry.
      const slack = Math.max(1, Math.floor(max / 100));
      if (count > max + slack - 1) counts.set(userId, count - trimOldest.run(userId, count - max).changes);
    }
  });
  const insertAll = (items: { entry: HistoryEntry }[]): void => {
    let at = 0;
    for (const rows of INSERT_CHUNKS) {
      const statement = insertRows.get(rows)!;
      for (; items.length - at >= rows; at += rows) {
        const values: unknown[] = [];
        for (let i = at; i < at + rows; i++) {
          const { entry } = items[i]!;
          values.push(entry.userId, entry.at, entry.kind, entry.fromEndpoint, entry.toEndpoint, entry.status, JSON.stringify(entry.meta));
        }
        // Spread: PostgreSQL's statements (postgres/statements.ts) take parameters as arguments only.
        statement.run(...values);
      }
    }
  };
  // An audit batch never waits for a lock another process holds: better-sqlite3 waits synchronously
  // (the busy timeout, 2 s), which would stall the event loop at every retry. It fails at once
  // instead and stays in the buffer; a busy database is not a degraded one (that is for full or
  // read-only disks), so SQLITE_BUSY is not reported to the health check.
  const writeWithoutWaiting = (items: { entry: HistoryEntry; max: number }[]): void => {
    if (!options.failFastOnLock) return void writeBatch.immediate(items);
    const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      writeBatch.immediate(items);
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
    }
  };
  const buffer = new HistoryBuffer<{ entry: HistoryEntry; max: number }>(writeWithoutWaiting, (error) => {
    const code = sqliteErrorCode(error);
    // SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY), and a locked table.
    if (!(code?.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED')) health?.failed(error);
    counts.clear();
  });
  return {
    buffer,
    recordHistory: (entry, max) => buffer.add({ entry, max }),
    listHistory: (userId, query) => {
      buffer.flush(); // what the caller just did is visible at once
      const before = query.beforeId ?? Number.MAX_SAFE_INTEGER;
      const rows = query.endpoint === undefined
        ? ofUser.all(userId, before, query.limit)
        : ofEndpoint.all(userId, before, query.endpoint, query.endpoint, query.limit);
      return (rows as HistoryRow[]).map(toEntry);
    },
    pruneHistory: (cutoff, maxPerAccount) => {
      buffer.flush();
      let removed = 0;
      for (let changes = PRUNE_CHUNK; changes === PRUNE_CHUNK;) {
        changes = pruneOldest.run(PRUNE_CHUNK, cutoff).changes;
        removed += changes;
      }
      if (removed > 0) counts.clear();
      let trimmed = 0;
      // Accounts this process counted may still be over the bound (the chunk slack): trim them exactly.
      for (const [userId, count] of counts) {
        if (count <= maxPerAccount) continue;
        trimmed += trimOldest.run(userId, count - maxPerAccount).changes;
        counts.set(userId, maxPerAccount);
      }
      return removed + trimmed;
    },
  };
}
