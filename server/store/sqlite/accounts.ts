import type { Db } from '../../db/database';
import type { ApiTokenRecord, NewApiToken, TokenStore, UserRecord, UserStore } from '../types';

interface UserRow { id: number; username: string; password_hash: string; plan: string; devices_limit: number; created_at: number }
interface TokenRow { id: number; user_id: number; token_hash: string; prefix: string; name: string; created_at: number; last_used_at: number | null }

const toUser = (row: UserRow): UserRecord => ({
  id: row.id, username: row.username, passwordHash: row.password_hash, plan: row.plan, devicesLimit: row.devices_limit, createdAt: row.created_at,
});
const toToken = (row: TokenRow): ApiTokenRecord => ({
  id: row.id, userId: row.user_id, tokenHash: row.token_hash, prefix: row.prefix, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at,
});

/** Users and API tokens (hashes only) in SQLite, prepared statements only. */
export function createAccountStore(db: Db): UserStore & TokenStore {
  const insertUser = db.prepare<[string, string, number, number]>(
    'INSERT INTO users (username, password_hash, devices_limit, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO NOTHING RETURNING *',
  );
  const insertToken = db.prepare<[number, string, string, string, number]>(
    'INSERT INTO api_tokens (user_id, token_hash, prefix, name, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
  );
  const userByName = db.prepare<[string]>('SELECT * FROM users WHERE username = ?');
  const userById = db.prepare<[number]>('SELECT * FROM users WHERE id = ?');
  const userCount = db.prepare('SELECT COUNT(*) AS n FROM users');
  const tokenCount = db.prepare<[number]>('SELECT COUNT(*) AS n FROM api_tokens WHERE user_id = ?');
  const tokenByHash = db.prepare<[string]>('SELECT * FROM api_tokens WHERE token_hash = ?');
  const tokensOfUser = db.prepare<[number]>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY id');
  const deleteToken = db.prepare<[number, number]>('DELETE FROM api_tokens WHERE id = ? AND user_id = ?');
  const touchToken = db.prepare<[number, number]>('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');

  const createUserWithToken = db.transaction(
    (user: { username: string; passwordHash: string; devicesLimit: number }, token: NewApiToken, now: number) => {
      const row = insertUser.get(user.username, user.passwordHash, user.devicesLimit, now) as UserRow | undefined;
      if (!row) return null;
      const tokenRow = insertToken.get(row.id, token.tokenHash, token.prefix, token.name, now) as TokenRow;
      return { user: toUser(row), token: toToken(tokenRow) };
    },
  );
  const createToken = db.transaction((userId: number, token: NewApiToken, now: number, max: number) => {
    const { n } = tokenCount.get(userId) as { n: number };
    if (n >= max) return null;
    return toToken(insertToken.get(userId, token.tokenHash, token.prefix, token.name, now) as TokenRow);
  });

  return {
    createUserWithToken: (user, token, now) => createUserWithToken.immediate(user, token, now),
    findUserByName: (username) => {
      const row = userByName.get(username) as UserRow | undefined;
      return row && toUser(row);
    },
    findUserById: (id) => {
      const row = userById.get(id) as UserRow | undefined;
      return row && toUser(row);
    },
    countUsers: () => (userCount.get() as { n: number }).n,
    createApiToken: (userId, token, now, max) => createToken.immediate(userId, token, now, max),
    findApiTokenByHash: (hash) => {
      const row = tokenByHash.get(hash) as TokenRow | undefined;
      return row && toToken(row);
    },
    listApiTokens: (userId) => (tokensOfUser.all(userId) as TokenRow[]).map(toToken),
    revokeApiToken: (userId, tokenId) => deleteToken.run(tokenId, userId).changes > 0,
    touchApiToken: (tokenId, now) => {
      touchToken.run(now, tokenId);
    },
  };
}
