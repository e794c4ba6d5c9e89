/**
 * Numbered, forward-only schema migrations. Never edit a shipped entry: append a new one.
 * Times are integer milliseconds since the epoch (UTC), which avoids v1.0's local/UTC mix-up (B10).
 */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        plan TEXT NOT NULL DEFAULT 'basic',
        devices_limit INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      );
      CREATE INDEX api_tokens_user ON api_tokens(user_id);
      CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        added_at INTEGER NOT NULL,
        last_seen_at INTEGER,
        poll_count INTEGER NOT NULL DEFAULT 0,
        last_request_counter INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX devices_user ON devices(user_id);
      CREATE TABLE device_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
        payload TEXT NOT NULL,
        signature TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX device_queue_device ON device_queue(device_id, id);
      CREATE INDEX device_queue_expiry ON device_queue(expires_at);
      CREATE TABLE device_responses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
        payload TEXT NOT NULL,
        signature TEXT NOT NULL,
        request_counter INTEGER,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX device_responses_device ON device_responses(device_id, id);
      CREATE INDEX device_responses_expiry ON device_responses(expires_at);
    `,
  },
  {
    // F4: a delivered command stays queued as in-flight until the device answers it or it expires.
    version: 2,
    sql: `
      ALTER TABLE device_queue ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE device_queue ADD COLUMN delivered_at INTEGER;
    `,
  },
  {
    // Issue 13: endpoints (every board is one, joined to its device row), the mailbox of
    // endpoint-to-endpoint messages, and the history (audit log). Existing devices become board
    // endpoints. A board's name stays in devices.name (one place); endpoints.name is for the others.
    // History has one index: a row per routed command must stay cheap (each index on a random key
    // costs several microseconds per insert); by-endpoint queries walk one account's bounded rows.
    version: 3,
    sql: `
      CREATE TABLE endpoints (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        uuid TEXT,
        public_key_type TEXT,
        public_key TEXT,
        device_id TEXT UNIQUE REFERENCES devices(device_id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX endpoints_user ON endpoints(user_id, created_at);
      CREATE UNIQUE INDEX endpoints_uuid ON endpoints(user_id, uuid) WHERE uuid IS NOT NULL;
      INSERT INTO endpoints (id, user_id, kind, device_id, created_at)
        SELECT 'ep_' || lower(hex(randomblob(10))), user_id, 'board', device_id, added_at FROM devices;
      CREATE TABLE endpoint_mailbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        to_endpoint TEXT NOT NULL,
        from_endpoint TEXT NOT NULL,
        kind TEXT NOT NULL,
        msgid TEXT NOT NULL,
        frame TEXT NOT NULL,
        acknowledge INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX endpoint_mailbox_msgid ON endpoint_mailbox(to_endpoint, from_endpoint, kind, msgid);
      CREATE INDEX endpoint_mailbox_to ON endpoint_mailbox(to_endpoint, id);
      CREATE INDEX endpoint_mailbox_expiry ON endpoint_mailbox(expires_at);
      CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL,
        at INTEGER NOT NULL,
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
    // Issue 14: each claimed board's own credential (SHA-256 of a 256-bit secret, like API tokens),
    // at most one per device, gone with its device.
    version: 4,
    sql: `
      CREATE TABLE device_credentials (
        device_id TEXT PRIMARY KEY REFERENCES devices(device_id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX device_credentials_user ON device_credentials(user_id);
    `,
  },
  {
    // Issue 14: login sessions (refresh-token families), their refresh tokens (hashes only; a used
    // one is kept until its session ends, so presenting it again is recognised as reuse), and
    // pairings of two endpoints. Version 4 is another part of issue 14; this one depends on nothing
    // it adds, so either may be applied first (database.ts applies versions in ascending order).
    version: 5,
    sql: `
      CREATE TABLE login_sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
      ) WITHOUT ROWID;
      CREATE INDEX login_sessions_user ON login_sessions(user_id, created_at);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES login_sessions(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
      CREATE TABLE pairings (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        host_endpoint TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        client_endpoint TEXT NOT NULL UNIQUE REFERENCES endpoints(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX pairings_host ON pairings(host_endpoint);
      CREATE INDEX pairings_user ON pairings(user_id, created_at);
    `,
  },
];
