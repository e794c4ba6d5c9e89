import type { Db } from '../../db/database';
import type { PairingRecord, PairingStore } from '../types';

interface PairingRow { id: string; user_id: number; host_endpoint: string; client_endpoint: string; created_at: number }

const toPairing = (row: PairingRow): PairingRecord => ({
  id: row.id, userId: row.user_id, hostEndpoint: row.host_endpoint, clientEndpoint: row.client_endpoint, createdAt: row.created_at,
});

/** Pairings of two endpoints of one account (issue 14); they go with either endpoint (ON DELETE CASCADE). */
export function createPairingStore(db: Db): PairingStore {
  const byId = db.prepare<[string]>('SELECT * FROM pairings WHERE id = ?');
  const ofClient = db.prepare<[string]>('SELECT * FROM pairings WHERE client_endpoint = ?');
  const ofHost = db.prepare<[string]>('SELECT * FROM pairings WHERE host_endpoint = ? ORDER BY created_at, id');
  const ofUser = db.prepare<[number]>('SELECT * FROM pairings WHERE user_id = ? ORDER BY created_at, id');
  const removeClient = db.prepare<[string]>('DELETE FROM pairings WHERE client_endpoint = ?');
  const insert = db.prepare<[string, number, string, string, number]>(
    'INSERT INTO pairings (id, user_id, host_endpoint, client_endpoint, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const remove = db.prepare<[string, number]>('DELETE FROM pairings WHERE id = ? AND user_id = ?');
  const create = db.transaction((pairing: PairingRecord) => {
    const earlier = ofClient.get(pairing.clientEndpoint) as PairingRow | undefined;
    removeClient.run(pairing.clientEndpoint);
    insert.run(pairing.id, pairing.userId, pairing.hostEndpoint, pairing.clientEndpoint, pairing.createdAt);
    return { replaced: earlier && toPairing(earlier) };
  });
  const one = (row: unknown) => (row ? toPairing(row as PairingRow) : undefined);
  return {
    createPairing: (pairing) => create.immediate(pairing),
    findPairing: (id) => one(byId.get(id)),
    pairingOfClient: (client) => one(ofClient.get(client)),
    pairingsOfHost: (host) => (ofHost.all(host) as PairingRow[]).map(toPairing),
    listPairings: (userId) => (ofUser.all(userId) as PairingRow[]).map(toPairing),
    deletePairing: (userId, id) => remove.run(id, userId).changes > 0,
  };
}
