import type { Db } from '../../db/database';
import type { CreateEndpointOutcome, EndpointKind, EndpointRecord, EndpointStore, PublicKeyType } from '../types';

interface EndpointRow {
  id: string; user_id: number; kind: EndpointKind; name: string; uuid: string | null;
  public_key_type: PublicKeyType | null; public_key: string | null; device_id: string | null;
  created_at: number; last_seen_at: number | null;
}

/** A board's name and last-seen time live in its device row (v1.0 keeps writing them there). */
const SELECT = `SELECT e.id, e.user_id, e.kind, e.uuid, e.public_key_type, e.public_key, e.device_id, e.created_at,
  COALESCE(d.name, e.name) AS name, COALESCE(d.last_seen_at, e.last_seen_at) AS last_seen_at
  FROM endpoints e LEFT JOIN devices d ON d.device_id = e.device_id`;

const toEndpoint = (row: EndpointRow): EndpointRecord => ({
  id: row.id, userId: row.user_id, kind: row.kind, name: row.name, uuid: row.uuid,
  publicKey: row.public_key_type && row.public_key ? { type: row.public_key_type, key: row.public_key } : null,
  deviceId: row.device_id, createdAt: row.created_at, lastSeenAt: row.last_seen_at,
});

/** Endpoint rows (issue 13). `lastSeen` of a board comes from device activity, overlaid by the device store. */
export function createEndpointStore(db: Db, touchDb: Db = db): EndpointStore {
  const byId = db.prepare<[string]>(`${SELECT} WHERE e.id = ?`);
  const byUuid = db.prepare<[number, string]>(`${SELECT} WHERE e.user_id = ? AND e.uuid = ?`);
  const byDevice = db.prepare<[string]>(`${SELECT} WHERE e.device_id = ?`);
  const ofUser = db.prepare<[number]>(`${SELECT} WHERE e.user_id = ? ORDER BY e.created_at, e.id`);
  const countOthers = db.prepare<[number]>("SELECT COUNT(*) AS n FROM endpoints WHERE user_id = ? AND kind <> 'board'");
  const uuidTaken = db.prepare<[number, string]>('SELECT 1 FROM endpoints WHERE user_id = ? AND uuid = ?');
  const insert = db.prepare<[string, number, string, string, string | null, string | null, string | null, number]>(
    'INSERT INTO endpoints (id, user_id, kind, name, uuid, public_key_type, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const ownedKind = db.prepare<[string, number]>('SELECT kind, device_id FROM endpoints WHERE id = ? AND user_id = ?');
  const renameEndpoint = db.prepare<[string, string]>('UPDATE endpoints SET name = ? WHERE id = ?');
  const renameDevice = db.prepare<[string, string]>('UPDATE devices SET name = ? WHERE device_id = ?');
  const setKey = db.prepare<[string | null, string | null, string]>('UPDATE endpoints SET public_key_type = ?, public_key = ? WHERE id = ?');
  const remove = db.prepare<[string, number]>("DELETE FROM endpoints WHERE id = ? AND user_id = ? AND kind <> 'board'");
  const clearMail = db.prepare<[string]>('DELETE FROM endpoint_mailbox WHERE to_endpoint = ?');
  const touch = touchDb.prepare<[number, string]>('UPDATE endpoints SET last_seen_at = ? WHERE id = ?');

  const create = db.transaction((userId: number, e: Parameters<EndpointStore['createEndpoint']>[1], id: string, now: number, limit: number): CreateEndpointOutcome => {
    if ((countOthers.get(userId) as { n: number }).n >= limit) return { ok: false, reason: 'limit' };
    if (e.uuid !== null && uuidTaken.get(userId, e.uuid)) return { ok: false, reason: 'uuid_taken' };
    insert.run(id, userId, e.kind, e.name, e.uuid, e.publicKey?.type ?? null, e.publicKey?.key ?? null, now);
    return { ok: true, endpoint: toEndpoint(byId.get(id) as EndpointRow) };
  });
  const update = db.transaction((userId: number, id: string, change: Parameters<EndpointStore['updateEndpoint']>[2]): boolean => {
    const row = ownedKind.get(id, userId) as { kind: EndpointKind; device_id: string | null } | undefined;
    if (!row) return false;
    if (change.name !== undefined) {
      if (row.device_id !== null) renameDevice.run(change.name, row.device_id);
      else renameEndpoint.run(change.name, id);
    }
    if (change.publicKey !== undefined) setKey.run(change.publicKey?.type ?? null, change.publicKey?.key ?? null, id);
    return true;
  });
  const removeWithMail = db.transaction((userId: number, id: string): boolean => {
    if (remove.run(id, userId).changes === 0) return false;
    clearMail.run(id);
    return true;
  });

  const one = (row: unknown) => (row ? toEndpoint(row as EndpointRow) : undefined);
  return {
    createEndpoint: (userId, endpoint, id, now, limit) => create.immediate(userId, endpoint, id, now, limit),
    findEndpoint: (id) => one(byId.get(id)),
    findEndpointByUuid: (userId, uuid) => one(byUuid.get(userId, uuid)),
    findEndpointByDevice: (deviceId) => one(byDevice.get(deviceId)),
    listEndpoints: (userId) => (ofUser.all(userId) as EndpointRow[]).map(toEndpoint),
    updateEndpoint: (userId, id, change) => update.immediate(userId, id, change),
    deleteEndpoint: (userId, id) => removeWithMail.immediate(userId, id),
    touchEndpoint: (id, now) => {
      touch.run(now, id);
    },
  };
}
