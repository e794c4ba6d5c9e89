import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { LIMITS } from '../limits';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/** Thrown when the file exists but cannot be used; the relay refuses to start (F11). */
export class DatabaseOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseOpenError';
  }
}

function applyPragmas(db: Db): void {
  db.pragma('journal_mode = WAL');
  // Catalogue C1: a `queued` ACK must survive power loss, so every commit fsyncs the WAL.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('journal_size_limit = 16777216');
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  // Ascending by version whatever the array order; versions may have gaps (parts of one issue
  // developed side by side take numbers in advance).
  const ordered = [...MIGRATIONS].sort((a, b) => a.version - b.version);
  const latest = ordered[ordered.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new DatabaseOpenError(`database schema version ${current} is newer than this relay (${latest}); refusing to run`);
  }
  for (const migration of ordered) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/**
 * SQLite opens a file it may not write read-only without saying so (with left-over -wal/-shm even
 * in WAL mode), and reads keep working; every write would then fail. Rewriting the schema version
 * with its own value is a real write (the header page), so it fails here instead, at start.
 */
function assertWritable(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  try {
    db.pragma(`user_version = ${version}`);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new DatabaseOpenError(
      `database ${file} cannot be written (${code}: ${(error as Error).message}); check the permissions of the file, its -wal/-shm files and its directory`,
    );
  }
}

/** Opens (creating if needed) the relay database: WAL, synchronous=FULL, checked and migrated. */
export function openDatabase(file: string): Db {
  const existed = existsSync(file) && statSync(file).size > 0;
  let db: Db;
  try {
    // Password and token hashes live here: owner-only. SQLite gives -wal/-shm the same mode.
    if (!existsSync(file)) closeSync(openSync(file, 'wx', 0o600));
    db = new Database(file, { timeout: LIMITS.sqliteBusyTimeoutMs });
  } catch (error) {
    throw new DatabaseOpenError(`cannot open database ${file}: ${(error as Error).message}`);
  }
  try {
    applyPragmas(db);
    if (existed) {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new DatabaseOpenError(`database ${file} failed its integrity check: ${String(check)}`);
    }
    migrate(db);
    assertWritable(db, file);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof DatabaseOpenError) throw error;
    throw new DatabaseOpenError(`database ${file} is unusable: ${(error as Error).message}`);
  }
}

/**
 * A second connection to an already opened (and migrated) relay database, for data that is not
 * an acknowledged command — device responses waiting for an HTTP pull: `synchronous = NORMAL`, so
 * its commits do not fsync. In WAL mode they still survive a crash of the relay process, and the
 * next synchronous=FULL commit on the main connection syncs them too.
 */
export function openUnsyncedConnection(file: string): Db {
  const db = new Database(file, { timeout: LIMITS.sqliteBusyTimeoutMs, fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    db.close();
    throw new DatabaseOpenError(`database ${file} is unusable: ${(error as Error).message}`);
  }
}

/** Shutdown step of C6: fold the WAL back into the main file, then close. */
export function closeDatabase(db: Db): void {
  if (!db.open) return;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
