import type { Db } from '../../db/database';
import { GroupCommitter } from '../group-commit';
import type { HistoryEntry, HistoryKind, HistoryStore, StoredHistoryEntry } from '../types';
import type { WriteHealth } from '../write-health';

interface HistoryRow { id: number; user_id: number; at: number; kind: HistoryKind; from_endpoint: string | null; to_endpoint: string | null; status: string; meta: string }

const toEntry = (row: HistoryRow): StoredHistoryEntry => ({
  id: row.id, userId: row.user_id, at: row.at, kind: row.kind, fromEndpoint: row.from_endpoint, toEndpoint: row.to_endpoint, status: row.status,
  meta: JSON.parse(row.meta) as Record<string, unknown>,
});

/** Per-account counts the trim works from; reset (and recounted lazily) after an age prune. */
const MAX_COUNTED_ACCOUNTS = 10_000;

/**
 * The history (audit log, issue 13) on the unsynced connection: one batched transaction per
 * event-loop turn, no fsync (it is not an acknowledged command, and a command's own queue row is
 * durable). The count bound per account is kept cheaply: the store counts each account's rows once,
 * then trims the oldest in chunks as it passes the bound, walking only the rows it deletes.
 */
export function createHistoryStore(db: Db, health?: WriteHealth): HistoryStore & { committer: GroupCommitter<{ entry: HistoryEntry; max: number }, boolean> } {
  const insert = db.prepare<[number, number, string, string | null, string | null, string, string]>(
    'INSERT INTO history (user_id, at, kind, from_endpoint, to_endpoint, status, meta) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const countOf = db.prepare<[number]>('SELECT COUNT(*) AS n FROM history WHERE user_id = ?');
  const trimOldest = db.prepare<[number, number]>(
    'DELETE FROM history WHERE id IN (SELECT id FROM history WHERE user_id = ? ORDER BY id LIMIT ?)',
  );
  const ofUser = db.prepare<[number, number, number]>('SELECT * FROM history WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?');
  const ofEndpoint = db.prepare<[string, number, number, string, number, number, number]>(
    `SELECT * FROM (
       SELECT * FROM history WHERE from_endpoint = ? AND user_id = ? AND id < ?
       UNION
       SELECT * FROM history WHERE to_endpoint = ? AND user_id = ? AND id < ?
     ) ORDER BY id DESC LIMIT ?`,
  );
  const pruneAge = db.prepare<[number]>('DELETE FROM history WHERE at < ?');
  const counts = new Map<number, number>();

  const commitBatch = db.transaction((items: { entry: HistoryEntry; max: number }[]) => {
    for (const { entry, max } of items) {
      insert.run(entry.userId, entry.at, entry.kind, entry.fromEndpoint, entry.toEndpoint, entry.status, JSON.stringify(entry.meta));
      let count = counts.get(entry.userId);
      if (count === undefined) {
        if (counts.size >= MAX_COUNTED_ACCOUNTS) counts.clear();
        count = (countOf.get(entry.userId) as { n: number }).n;
      } else {
        count += 1;
      }
      // Trim in chunks of about 1 % so the bound costs O(1) per entry.
      const slack = Math.max(1, Math.floor(max / 100));
      if (count > max + slack - 1) count -= trimOldest.run(entry.userId, count - max).changes;
      counts.set(entry.userId, count);
    }
    return items.map(() => true);
  });
  const committer = new GroupCommitter<{ entry: HistoryEntry; max: number }, boolean>(
    (items) => commitBatch.immediate(items),
    (error) => {
      health?.failed(error);
      counts.clear();
      return false;
    },
  );

  return {
    committer,
    recordHistory: (entry, max) => {
      void committer.submit({ entry, max });
    },
    listHistory: (userId, query) => {
      committer.flush(); // what the caller just did is visible at once
      const before = query.beforeId ?? Number.MAX_SAFE_INTEGER;
      const rows = query.endpoint === undefined
        ? ofUser.all(userId, before, query.limit)
        : ofEndpoint.all(query.endpoint, userId, before, query.endpoint, userId, before, query.limit);
      return (rows as HistoryRow[]).map(toEntry);
    },
    pruneHistory: (cutoff, maxPerAccount) => {
      committer.flush();
      const removed = pruneAge.run(cutoff).changes;
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
