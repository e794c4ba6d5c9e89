/**
 * The PostgreSQL schema (issue 15): the same tables and columns as the SQLite migrations of
 * server/db/migrations.ts, in PostgreSQL's dialect (BIGINT for ms timestamps, BIGSERIAL ids), plus
 * what several instances need: queue claims (`claimed_by`, `claim_until`). Numbered, forward-only,
 * recorded in `wakelink_schema`; applied under an advisory lock, so instances starting together
 * migrate once. A new SQLite migration gets its PostgreSQL twin here with the same number.
 */
import type { SyncPg } from './sync-client';

export const PG_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id BIGSERIAL PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        plan TEXT NOT NULL DEFAULT 'basic',
        devices_limit INTEGER NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE api_tokens (
        id BIGSERIAL PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      );
      CREATE INDEX api_tokens_user ON api_tokens(user_id);
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        added_at BIGINT NOT NULL,
        last_seen_at BIGINT,
        poll_count BIGINT NOT NULL DEFAULT 0,
        last_request_counter BIGINT
      );
      CREATE INDEX devices_user ON devices(user_id);
      CREATE TABLE device_queue (
        id BIGSERIAL PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
        payload TEXT NOT NULL,
        signature TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX device_queue_device ON device_queue(device_id, id);
      CREATE INDEX device_queue_expiry ON device_queue(expires_at);
      CREATE TABLE device_responses (
        id BIGSERIAL PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
        payload TEXT NOT NULL,
        signature TEXT NOT NULL,
        request_counter BIGINT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX device_responses_device ON device_responses(device_id, id);
      CREATE INDEX device_responses_expiry ON device_responses(expires_at);
    `,
  },
  {
    version: 2,
    sql: `
      ALTER TABLE device_queue ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE device_queue ADD COLUMN delivered_at BIGINT;
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE endpoints (
        id TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        uuid TEXT,
        public_key_type TEXT,
        public_key TEXT,
        device_id TEXT UNIQUE REFERENCES devices(device_id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT
      );
      CREATE INDEX endpoints_user ON endpoints(user_id, created_at);
      CREATE UNIQUE INDEX endpoints_uuid ON endpoints(user_id, uuid) WHERE uuid IS NOT NULL;
      CREATE TABLE endpoint_mailbox (
        id BIGSERIAL PRIMARY KEY,
        to_endpoint TEXT NOT NULL,
        from_endpoint TEXT NOT NULL,
        kind TEXT NOT NULL,
        msgid TEXT NOT NULL,
        frame TEXT NOT NULL,
        acknowledge INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX endpoint_mailbox_msgid ON endpoint_mailbox(to_endpoint, from_endpoint, kind, msgid);
      CREATE INDEX endpoint_mailbox_to ON endpoint_mailbox(to_endpoint, id);
      CREATE INDEX endpoint_mailbox_expiry ON endpoint_mailbox(expires_at);
      CREATE TABLE history (
        id BIGSERIAL PRIMARY KEY,
        user_id BIGINT NOT NULL,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        from_endpoint TEXT,
        to_endpoint TEXT,
        status TEXT NOT NULL,
        meta TEXT NOT NULL
      );
      CREATE INDEX history_user ON history(user_id, id);
    `,
  },
  {
    // Several instances take from one queue: a row is claimed by the instance writing it to its
    // board, for a lease, so two instances never write the same row at once (issue 15).
    version: 1003,
    sql: `
      ALTER TABLE device_queue ADD COLUMN claimed_by TEXT;
      ALTER TABLE device_queue ADD COLUMN claim_until BIGINT;
      CREATE INDEX device_queue_claims ON device_queue(claimed_by) WHERE claimed_by IS NOT NULL;
    `,
  },
  {
    // Issue 14, as SQLite's versions 4 and 5: each claimed board's own credential (its SHA-256
    // only), login sessions with their refresh tokens (hashes only), and pairings of endpoints.
    version: 1004,
    sql: `
      CREATE TABLE device_credentials (
        device_id TEXT PRIMARY KEY REFERENCES devices(device_id) ON DELETE CASCADE,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      );
      CREATE INDEX device_credentials_user ON device_credentials(user_id);
      CREATE TABLE login_sessions (
        id TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        created_at BIGINT NOT NULL,
        last_used_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT,
        revoked_reason TEXT
      );
      CREATE INDEX login_sessions_user ON login_sessions(user_id, created_at);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES login_sessions(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
      CREATE TABLE pairings (
        id TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        host_endpoint TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        client_endpoint TEXT NOT NULL UNIQUE REFERENCES endpoints(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX pairings_host ON pairings(host_endpoint);
      CREATE INDEX pairings_user ON pairings(user_id, created_at);
    `,
  },
];

const MIGRATION_LOCK_KEY = 0x57_4c_0d_b0;

/**
 * Applies what is missing, all in one transaction under a cluster-wide advisory lock (instances
 * starting together wait for each other; the schema table is created under it too, so two of them
 * never race on it); refuses a newer schema.
 */
export function migratePostgres(pg: SyncPg): void {
  pg.transaction(() => {
    pg.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    pg.query('CREATE TABLE IF NOT EXISTS wakelink_schema (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const applied = new Set(pg.query('SELECT version FROM wakelink_schema').rows.map((row) => Number(row.version)));
    const known = new Set(PG_MIGRATIONS.map((migration) => migration.version));
    const unknown = [...applied].filter((version) => !known.has(version));
    if (unknown.length > 0) throw new Error(`database schema has migrations this relay does not know (${unknown.join(', ')}); refusing to run`);
    for (const migration of PG_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      pg.query(migration.sql);
      pg.query('INSERT INTO wakelink_schema (version, applied_at) VALUES ($1, $2)', [migration.version, Date.now()]);
    }
  });
}
