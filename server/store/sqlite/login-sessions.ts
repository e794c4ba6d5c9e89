import type { Db } from '../../db/database';
import type { LoginSessionRecord, LoginSessionStore, RefreshOutcome } from '../types';

interface SessionRow {
  id: string; user_id: number; name: string; address: string; created_at: number; last_used_at: number; expires_at: number;
  revoked_at: number | null; revoked_reason: string | null;
}
interface TokenRow { token_hash: string; session_id: string; created_at: number; expires_at: number; used_at: number | null }

const toSession = (row: SessionRow): LoginSessionRecord => ({
  id: row.id, userId: row.user_id, name: row.name, address: row.address, createdAt: row.created_at, lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at, revokedAt: row.revoked_at, revokedReason: row.revoked_reason,
});

/** Login sessions (refresh-token families) and their refresh tokens, hashes only (issue 14). */
export function createLoginSessionStore(db: Db): LoginSessionStore {
  const insertSession = db.prepare<[string, number, string, string, number, number, number]>(
    'INSERT INTO login_sessions (id, user_id, name, address, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertToken = db.prepare<[string, string, number, number]>('INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES (?, ?, ?, ?)');
  const liveOfUser = db.prepare<[number, number]>(
    'SELECT * FROM login_sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id',
  );
  const sessionById = db.prepare<[string]>('SELECT * FROM login_sessions WHERE id = ?');
  const tokenByHash = db.prepare<[string]>('SELECT * FROM refresh_tokens WHERE token_hash = ?');
  const markUsed = db.prepare<[number, string]>('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL');
  const touchSession = db.prepare<[number, string]>('UPDATE login_sessions SET last_used_at = ? WHERE id = ?');
  const revoke = db.prepare<[number, string, string, number]>(
    'UPDATE login_sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL',
  );
  const prune = db.prepare<[number, number]>('DELETE FROM login_sessions WHERE expires_at <= ? OR revoked_at <= ?');

  const create = db.transaction((session: Omit<LoginSessionRecord, 'revokedAt' | 'revokedReason'>, tokenHash: string, tokenExpiresAt: number, max: number) => {
    insertSession.run(session.id, session.userId, session.name, session.address, session.createdAt, session.lastUsedAt, session.expiresAt);
    insertToken.run(tokenHash, session.id, session.createdAt, tokenExpiresAt);
    const live = (liveOfUser.all(session.userId, session.createdAt) as SessionRow[]);
    // Newest first: everything past `max` is the oldest.
    const evicted = live.slice(max).map((row) => row.id);
    for (const id of evicted) revoke.run(session.createdAt, 'evicted', id, session.userId);
    return evicted;
  });

  const rotate = db.transaction((oldHash: string, newHash: string, now: number, tokenTtlMs: number): RefreshOutcome => {
    const token = tokenByHash.get(oldHash) as TokenRow | undefined;
    if (!token) return { ok: false, reason: 'unknown' };
    const row = sessionById.get(token.session_id) as SessionRow | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    const session = toSession(row);
    if (session.revokedAt !== null || session.expiresAt <= now) return { ok: false, reason: 'ended', session };
    if (token.used_at !== null) return { ok: false, reason: 'reused', session };
    if (token.expires_at <= now) return { ok: false, reason: 'expired', session };
    if (markUsed.run(now, oldHash).changes !== 1) return { ok: false, reason: 'reused', session };
    insertToken.run(newHash, session.id, now, Math.min(now + tokenTtlMs, session.expiresAt));
    touchSession.run(now, session.id);
    return { ok: true, session: { ...session, lastUsedAt: now } };
  });

  return {
    createLoginSession: (session, tokenHash, tokenExpiresAt, max) => create.immediate(session, tokenHash, tokenExpiresAt, max),
    rotateRefreshToken: (oldHash, newHash, now, tokenTtlMs) => rotate.immediate(oldHash, newHash, now, tokenTtlMs),
    findLoginSession: (id) => {
      const row = sessionById.get(id) as SessionRow | undefined;
      return row && toSession(row);
    },
    findSessionByRefreshHash: (hash) => {
      const token = tokenByHash.get(hash) as TokenRow | undefined;
      const row = token && (sessionById.get(token.session_id) as SessionRow | undefined);
      return row ? toSession(row) : undefined;
    },
    listLoginSessions: (userId, now) => (liveOfUser.all(userId, now) as SessionRow[]).map(toSession),
    revokeLoginSession: (userId, id, reason, now) => revoke.run(now, reason, id, userId).changes > 0,
    pruneLoginSessions: (cutoff) => prune.run(cutoff, cutoff).changes,
  };
}
