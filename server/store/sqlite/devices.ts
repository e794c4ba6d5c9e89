import type { Db } from '../../db/database';
import { newEndpointId } from '../../ids';
import type { DeviceRecord, DeviceStore, RegisterOutcome } from '../types';
import type { WriteHealth } from '../write-health';
import { ActivityBuffer } from './device-activity';

interface DeviceRow { device_id: string; user_id: number; endpoint_id: string; name: string; added_at: number; last_seen_at: number | null; poll_count: number }

const toDevice = (row: DeviceRow): DeviceRecord => ({
  deviceId: row.device_id, userId: row.user_id, endpointId: row.endpoint_id, name: row.name, addedAt: row.added_at, lastSeenAt: row.last_seen_at,
  pollCount: row.poll_count,
});
/** Every device has its board endpoint (created with it, deleted with it by the foreign key). */
const WITH_ENDPOINT = 'SELECT d.*, e.id AS endpoint_id FROM devices d JOIN endpoints e ON e.device_id = d.device_id';

export interface SqliteDeviceStore extends DeviceStore {
  /** Writes buffered activity now (shutdown, before the checkpoint). */
  flushActivity(): void;
  /** Final flush at shutdown; afterwards activity is never scheduled again. */
  closeActivity(): void;
  /** `last_seen` not yet written, for other readers of the device row (board endpoints). */
  pendingLastSeen(deviceId: string): number | null;
}

/** Device ownership rows. No device token column exists: the relay is blind (spec 7 S1). */
export function createDeviceStore(db: Db, health?: WriteHealth): SqliteDeviceStore {
  const activity = new ActivityBuffer(db, undefined, health);
  // Readers see activity not yet written, so `last_seen` and poll counts are never stale.
  const withActivity = (row: DeviceRow): DeviceRecord => {
    const device = toDevice(row);
    const pending = activity.peek(row.device_id);
    if (!pending) return device;
    if (pending.lastSeenAt !== null && (device.lastSeenAt === null || pending.lastSeenAt > device.lastSeenAt)) device.lastSeenAt = pending.lastSeenAt;
    device.pollCount += pending.polls;
    return device;
  };
  const byId = db.prepare<[string]>(`${WITH_ENDPOINT} WHERE d.device_id = ?`);
  const ofUser = db.prepare<[number]>(`${WITH_ENDPOINT} WHERE d.user_id = ? ORDER BY d.added_at, d.device_id`);
  const ownerOf = db.prepare<[string]>('SELECT user_id FROM devices WHERE device_id = ?');
  const countOfUser = db.prepare<[number]>('SELECT COUNT(*) AS n FROM devices WHERE user_id = ?');
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM devices');
  const insert = db.prepare<[string, number, string, number]>(
    'INSERT INTO devices (device_id, user_id, name, added_at) VALUES (?, ?, ?, ?)',
  );
  const insertEndpoint = db.prepare<[string, number, string, number]>(
    "INSERT INTO endpoints (id, user_id, kind, device_id, created_at) VALUES (?, ?, 'board', ?, ?)",
  );
  const rename = db.prepare<[string, string]>('UPDATE devices SET name = ? WHERE device_id = ?');
  const remove = db.prepare<[string, number]>('DELETE FROM devices WHERE device_id = ? AND user_id = ?');

  const register = db.transaction((userId: number, deviceId: string, name: string, limit: number, now: number): RegisterOutcome => {
    const existing = ownerOf.get(deviceId) as { user_id: number } | undefined;
    if (existing) {
      if (existing.user_id !== userId) return 'taken';
      if (name !== '') rename.run(name, deviceId);
      return 'already_yours';
    }
    const { n } = countOfUser.get(userId) as { n: number };
    if (n >= limit) return 'limit';
    insert.run(deviceId, userId, name, now);
    insertEndpoint.run(newEndpointId(), userId, deviceId, now);
    return 'created';
  });

  return {
    findDevice: (deviceId) => {
      const row = byId.get(deviceId) as DeviceRow | undefined;
      return row && withActivity(row);
    },
    registerDevice: (userId, deviceId, name, limit, now) => register.immediate(userId, deviceId, name, limit, now),
    // ON DELETE CASCADE removes the device's queue rows and stored responses in the same statement.
    deleteDevice: (userId, deviceId) => {
      const removed = remove.run(deviceId, userId).changes > 0;
      if (removed) activity.forget(deviceId);
      return removed;
    },
    listDevices: (userId) => (ofUser.all(userId) as DeviceRow[]).map(withActivity),
    countDevices: (userId) => ((userId === undefined ? countAll.get() : countOfUser.get(userId)) as { n: number }).n,
    touchDevice: (deviceId, now, requestCounter) => activity.seen(deviceId, now, requestCounter),
    addPolls: (deviceId, count) => activity.addPolls(deviceId, count),
    flushActivity: () => activity.flush(),
    pendingLastSeen: (deviceId) => activity.peek(deviceId)?.lastSeenAt ?? null,
    closeActivity: () => activity.close(),
  };
}
