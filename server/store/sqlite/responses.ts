import type { Db } from '../../db/database';
import type { ResponseStore, StoredResponse } from '../types';

interface ResponseRow { id: number; device_id: string; payload: string; signature: string; request_counter: number | null; created_at: number }

const toResponse = (row: ResponseRow): StoredResponse => ({
  id: row.id, deviceId: row.device_id, payload: row.payload, signature: row.signature, requestCounter: row.request_counter, createdAt: row.created_at,
});

/** Device responses waiting for an HTTP pull (no WS client was waiting for them). */
export function createResponseStore(db: Db): ResponseStore {
  const insert = db.prepare<[string, string, string, number | null, number, number]>(
    'INSERT INTO device_responses (device_id, payload, signature, request_counter, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // Keeps only the newest `max` rows of a device: a device that talks to nobody cannot fill the disk.
  const trim = db.prepare<[string, string, number]>(
    'DELETE FROM device_responses WHERE device_id = ? AND id NOT IN (SELECT id FROM device_responses WHERE device_id = ? ORDER BY id DESC LIMIT ?)',
  );
  const live = db.prepare<[string, number, number]>(
    'SELECT * FROM device_responses WHERE device_id = ? AND expires_at > ? ORDER BY id LIMIT ?',
  );
  const removeOne = db.prepare<[number]>('DELETE FROM device_responses WHERE id = ?');
  const purgeExpiredOf = db.prepare<[string, number]>('DELETE FROM device_responses WHERE device_id = ? AND expires_at <= ?');
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM device_responses');
  const countOfUser = db.prepare<[number]>(
    'SELECT COUNT(*) AS n FROM device_responses r JOIN devices d ON d.device_id = r.device_id WHERE d.user_id = ?',
  );

  const store = db.transaction((r: { deviceId: string; payload: string; signature: string; requestCounter: number | null }, now: number, ttlMs: number, max: number) => {
    const id = Number(insert.run(r.deviceId, r.payload, r.signature, r.requestCounter, now, now + ttlMs).lastInsertRowid);
    trim.run(r.deviceId, r.deviceId, max);
    return id;
  });
  const take = db.transaction((deviceId: string, now: number, limit: number, choose?: (rows: StoredResponse[]) => StoredResponse[]) => {
    purgeExpiredOf.run(deviceId, now);
    const rows = (live.all(deviceId, now, limit) as ResponseRow[]).map(toResponse);
    const chosen = choose ? choose(rows) : rows;
    for (const row of chosen) removeOne.run(row.id);
    return chosen;
  });

  return {
    storeResponse: (response, now, ttlMs, max) => store.immediate(response, now, ttlMs, max),
    takeResponses: (deviceId, now, limit, choose) => take.immediate(deviceId, now, limit, choose),
    countResponses: (userId) => ((userId === undefined ? countAll.get() : countOfUser.get(userId)) as { n: number }).n,
  };
}
