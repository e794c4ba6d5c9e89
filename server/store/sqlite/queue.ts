import type { Db } from '../../db/database';
import { GroupCommitter } from '../group-commit';
import type { EnqueueResult, ExpiredCommand, QueueStore, QueuedCommand } from '../types';
import type { WriteHealth } from '../write-health';

interface QueueRow {
  id: number; device_id: string; payload: string; signature: string; created_at: number; expires_at: number;
  attempts: number; delivered_at: number | null;
}
interface EnqueueItem { kind: 'enqueue'; deviceId: string; payload: string; signature: string; now: number; ttlMs: number; cap: number }
/** A command already forwarded live, written as delivered once (issue 12 item 11). */
interface InFlightItem { kind: 'in_flight'; deviceId: string; payload: string; signature: string; now: number; ttlMs: number }
/** Everything that goes through the queue's group commit. */
export type QueueOp = EnqueueItem | InFlightItem;

const toCommand = (row: QueueRow): QueuedCommand => ({
  id: row.id, deviceId: row.device_id, payload: row.payload, signature: row.signature, createdAt: row.created_at, expiresAt: row.expires_at,
  attempts: row.attempts, deliveredAt: row.delivered_at,
});

/**
 * The durable device queue. Inserts go through a group committer (one fsync per event-loop turn).
 * A delivered row stays (as in-flight) until the device answers it or it expires (F4).
 */
export function createQueueStore(
  db: Db,
  health?: WriteHealth,
  /**
   * Where answered rows are deleted: a connection without fsync (sqlite-store passes the unsynced
   * one). A delete lost to a power cut only re-sends an answered command, which devices refuse
   * as a replay (C2), so it need not cost an fsync per reply.
   */
  forgetDb: Db = db,
): QueueStore & { committer: GroupCommitter<QueueOp, EnqueueResult>; forgetter: GroupCommitter<readonly number[], boolean> } {
  const deviceExists = db.prepare<[string]>('SELECT 1 FROM devices WHERE device_id = ?');
  const liveCount = db.prepare<[string, number]>('SELECT COUNT(*) AS n FROM device_queue WHERE device_id = ? AND expires_at > ?');
  const insert = db.prepare<[string, string, string, number, number]>(
    'INSERT INTO device_queue (device_id, payload, signature, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertDelivered = db.prepare<[string, string, string, number, number, number]>(
    'INSERT INTO device_queue (device_id, payload, signature, created_at, expires_at, attempts, delivered_at) VALUES (?, ?, ?, ?, ?, 1, ?)',
  );
  const pending = db.prepare<[string, number]>(
    'SELECT * FROM device_queue WHERE device_id = ? AND expires_at > ? ORDER BY id',
  );
  const markOne = db.prepare<[number, number]>('UPDATE device_queue SET attempts = attempts + 1, delivered_at = ? WHERE id = ?');
  const removeOne = db.prepare<[number]>('DELETE FROM device_queue WHERE id = ?');
  const expiredAll = db.prepare<[number]>('SELECT id, device_id, attempts, signature FROM device_queue WHERE expires_at <= ? ORDER BY id');
  const expiredOf = db.prepare<[string, number]>(
    'SELECT id, device_id, attempts, signature FROM device_queue WHERE device_id = ? AND expires_at <= ? ORDER BY id',
  );
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM device_queue');
  const countOfUser = db.prepare<[number]>(
    'SELECT COUNT(*) AS n FROM device_queue q JOIN devices d ON d.device_id = q.device_id WHERE d.user_id = ?',
  );

  const commitBatch = db.transaction((items: QueueOp[]): EnqueueResult[] => {
    // The count sees rows inserted earlier in this same transaction, so the cap holds within a batch.
    return items.map((item): EnqueueResult => {
      if (!deviceExists.get(item.deviceId)) return { ok: false, reason: 'device_missing' };
      if (item.kind === 'in_flight') {
        const info = insertDelivered.run(item.deviceId, item.payload, item.signature, item.now, item.now + item.ttlMs, item.now);
        return { ok: true, id: Number(info.lastInsertRowid) };
      }
      const already = (liveCount.get(item.deviceId, item.now) as { n: number }).n;
      if (already >= item.cap) return { ok: false, reason: 'queue_full' };
      const info = insert.run(item.deviceId, item.payload, item.signature, item.now, item.now + item.ttlMs);
      return { ok: true, id: Number(info.lastInsertRowid) };
    });
  });
  const committer = new GroupCommitter<QueueOp, EnqueueResult>(
    (items) => {
      const results = commitBatch.immediate(items);
      if (results.some((result) => result.ok)) health?.succeeded();
      return results;
    },
    (error) => {
      health?.failed(error);
      return { ok: false, reason: 'unavailable' };
    },
  );
  const forgetOne = forgetDb.prepare<[number]>('DELETE FROM device_queue WHERE id = ?');
  const forgetBatch = forgetDb.transaction((batches: (readonly number[])[]) => {
    for (const ids of batches) for (const id of ids) forgetOne.run(id);
    return batches.map(() => true);
  });
  // Failing deletes (locked or full database) leave the rows; they are re-sent and refused as replays, or expire.
  const forgetter = new GroupCommitter<readonly number[], boolean>((batches) => forgetBatch.immediate(batches), (error) => {
    health?.failed(error);
    return false;
  });
  const markMany = db.transaction((ids: readonly number[], now: number) => {
    for (const id of ids) markOne.run(now, id);
  });
  const takeExpired = db.transaction((now: number, deviceId: string | undefined): ExpiredCommand[] => {
    const rows = (deviceId === undefined ? expiredAll.all(now) : expiredOf.all(deviceId, now)) as QueueRow[];
    for (const row of rows) removeOne.run(row.id);
    return rows.map((row) => ({ id: row.id, deviceId: row.device_id, attempts: row.attempts, signature: row.signature }));
  });

  return {
    committer,
    enqueue: (command, now, ttlMs, cap) => committer.submit({ kind: 'enqueue', deviceId: command.deviceId, payload: command.payload, signature: command.signature, now, ttlMs, cap }),
    recordInFlight: (command, now, ttlMs) => committer.submit({ kind: 'in_flight', deviceId: command.deviceId, payload: command.payload, signature: command.signature, now, ttlMs }),
    forgetter,
    forget: (ids) => {
      if (ids.length > 0) void forgetter.submit([...ids]);
    },
    pendingFor: (deviceId, now) => (pending.all(deviceId, now) as QueueRow[]).map(toCommand),
    markDelivered: (ids, now) => {
      if (ids.length > 0) markMany.immediate(ids, now);
    },
    takeExpired: (now, deviceId) => takeExpired.immediate(now, deviceId),
    countQueued: (userId) => ((userId === undefined ? countAll.get() : countOfUser.get(userId)) as { n: number }).n,
  };
}
