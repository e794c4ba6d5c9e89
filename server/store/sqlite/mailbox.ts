import type { Db } from '../../db/database';
import { GroupCommitter } from '../group-commit';
import type { MailboxItem, MailboxKind, MailboxPutResult, MailboxStore } from '../types';
import type { WriteHealth } from '../write-health';

interface MailRow {
  id: number; to_endpoint: string; from_endpoint: string; kind: MailboxKind; msgid: string; frame: string;
  acknowledge: number; created_at: number; expires_at: number;
}
type PutItem = { item: Omit<MailboxItem, 'id'>; cap: number };

const toItem = (row: MailRow): MailboxItem => ({
  id: row.id, toEndpoint: row.to_endpoint, fromEndpoint: row.from_endpoint, kind: row.kind, msgid: row.msgid, frame: row.frame,
  acknowledge: row.acknowledge === 1, createdAt: row.created_at, expiresAt: row.expires_at,
});

/**
 * Endpoint mailboxes (issue 13) on the synchronous=FULL connection: a `stored` receipt is sent only
 * after the row is committed, in one group commit per event-loop turn like the device queue.
 * Deletes (acked items) go to the unsynced connection, batched: a lost delete only redelivers.
 */
export function createMailboxStore(db: Db, health?: WriteHealth, dropDb: Db = db): MailboxStore & { committer: GroupCommitter<PutItem, MailboxPutResult>; dropper: GroupCommitter<readonly number[], boolean> } {
  const existing = db.prepare<[string, string, string, string]>(
    'SELECT id FROM endpoint_mailbox WHERE to_endpoint = ? AND from_endpoint = ? AND kind = ? AND msgid = ?',
  );
  const liveCount = db.prepare<[string, number]>('SELECT COUNT(*) AS n FROM endpoint_mailbox WHERE to_endpoint = ? AND expires_at > ?');
  const insert = db.prepare<[string, string, string, string, string, number, number, number]>(
    'INSERT INTO endpoint_mailbox (to_endpoint, from_endpoint, kind, msgid, frame, acknowledge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const pending = db.prepare<[string, number, number, number]>(
    'SELECT * FROM endpoint_mailbox WHERE to_endpoint = ? AND expires_at > ? AND id > ? ORDER BY id LIMIT ?',
  );
  const byMsgid = db.prepare<[string, string, number]>('SELECT * FROM endpoint_mailbox WHERE to_endpoint = ? AND msgid = ? AND expires_at > ? ORDER BY id');
  const clear = db.prepare<[string]>('DELETE FROM endpoint_mailbox WHERE to_endpoint = ?');
  const expired = db.prepare<[number]>('SELECT * FROM endpoint_mailbox WHERE expires_at <= ? ORDER BY id LIMIT 1000');
  const removeOne = db.prepare<[number]>('DELETE FROM endpoint_mailbox WHERE id = ?');
  const purgeConnections = db.prepare("DELETE FROM endpoint_mailbox WHERE to_endpoint LIKE 'ec!_%' ESCAPE '!'");

  const commitBatch = db.transaction((puts: PutItem[]): MailboxPutResult[] => puts.map(({ item, cap }): MailboxPutResult => {
    const found = existing.get(item.toEndpoint, item.fromEndpoint, item.kind, item.msgid) as { id: number } | undefined;
    if (found) return { ok: true, id: found.id, duplicate: true };
    // Acks are small and answer something the sender already sent: they are not refused by the cap.
    if (item.kind === 'message' && (liveCount.get(item.toEndpoint, item.createdAt) as { n: number }).n >= cap) return { ok: false, reason: 'full' };
    const info = insert.run(item.toEndpoint, item.fromEndpoint, item.kind, item.msgid, item.frame, item.acknowledge ? 1 : 0, item.createdAt, item.expiresAt);
    return { ok: true, id: Number(info.lastInsertRowid), duplicate: false };
  }));
  const committer = new GroupCommitter<PutItem, MailboxPutResult>(
    (puts) => {
      const results = commitBatch.immediate(puts);
      if (results.some((result) => result.ok)) health?.succeeded();
      return results;
    },
    (error) => {
      health?.failed(error);
      return { ok: false, reason: 'unavailable' };
    },
  );
  const dropOne = dropDb.prepare<[number]>('DELETE FROM endpoint_mailbox WHERE id = ?');
  const dropBatch = dropDb.transaction((batches: (readonly number[])[]) => {
    for (const ids of batches) for (const id of ids) dropOne.run(id);
    return batches.map(() => true);
  });
  const dropper = new GroupCommitter<readonly number[], boolean>((batches) => dropBatch.immediate(batches), (error) => {
    health?.failed(error);
    return false;
  });
  const takeExpired = db.transaction((now: number) => {
    const rows = (expired.all(now) as MailRow[]).map(toItem);
    for (const row of rows) removeOne.run(row.id);
    return rows;
  });

  return {
    committer,
    dropper,
    putMail: (item, cap) => committer.submit({ item, cap }),
    pendingMail: (toEndpoint, now, limit, afterId = 0) => (pending.all(toEndpoint, now, afterId, limit) as MailRow[]).map(toItem),
    mailByMsgid: (toEndpoint, msgid, now) => (byMsgid.all(toEndpoint, msgid, now) as MailRow[]).map(toItem),
    dropMail: (ids) => {
      if (ids.length > 0) void dropper.submit([...ids]);
    },
    clearMailbox: (toEndpoint) => {
      clear.run(toEndpoint);
    },
    takeExpiredMail: (now) => takeExpired.immediate(now),
    countMail: (toEndpoint, now) => (liveCount.get(toEndpoint, now) as { n: number }).n,
    purgeConnectionMail: () => purgeConnections.run().changes,
  };
}
