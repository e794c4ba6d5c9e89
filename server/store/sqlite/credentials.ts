import type { Db } from '../../db/database';
import type { DeviceCredentialRecord, NewDeviceCredential } from '../types';

interface CredentialRow { device_id: string; user_id: number; credential_hash: string; prefix: string; created_at: number; last_used_at: number | null }

const toCredential = (row: CredentialRow): DeviceCredentialRecord => ({
  deviceId: row.device_id, userId: row.user_id, credentialHash: row.credential_hash, prefix: row.prefix, createdAt: row.created_at, lastUsedAt: row.last_used_at,
});

/** Per-device credentials (issue 14): hashes only, one per device, deleted with the device (foreign key). */
export function createCredentialStore(db: Db) {
  const byHash = db.prepare<[string]>('SELECT * FROM device_credentials WHERE credential_hash = ?');
  const ofUser = db.prepare<[number]>('SELECT * FROM device_credentials WHERE user_id = ? ORDER BY device_id');
  const upsert = db.prepare<[string, number, string, string, number]>(
    `INSERT INTO device_credentials (device_id, user_id, credential_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(device_id) DO UPDATE SET user_id = excluded.user_id, credential_hash = excluded.credential_hash,
       prefix = excluded.prefix, created_at = excluded.created_at, last_used_at = NULL`,
  );
  const remove = db.prepare<[string, number]>('DELETE FROM device_credentials WHERE device_id = ? AND user_id = ?');
  const touch = db.prepare<[number, string]>('UPDATE device_credentials SET last_used_at = ? WHERE device_id = ?');
  return {
    /** Replaces the device's credential (a re-claim); the caller has checked the device is the user's. */
    putCredential: (userId: number, deviceId: string, credential: NewDeviceCredential, now: number): void => {
      upsert.run(deviceId, userId, credential.hash, credential.prefix, now);
    },
    findCredentialByHash: (hash: string): DeviceCredentialRecord | undefined => {
      const row = byHash.get(hash) as CredentialRow | undefined;
      return row && toCredential(row);
    },
    listCredentials: (userId: number): DeviceCredentialRecord[] => (ofUser.all(userId) as CredentialRow[]).map(toCredential),
    revokeCredential: (userId: number, deviceId: string): boolean => remove.run(deviceId, userId).changes > 0,
    touchCredential: (deviceId: string, now: number): void => {
      touch.run(now, deviceId);
    },
  };
}
