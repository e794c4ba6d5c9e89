/**
 * The migration runner applies versions in ascending order and accepts gaps (issue 14: parts of
 * one issue take version numbers in advance), and upgrades an existing database in place.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database';
import { MIGRATIONS } from '../../server/db/migrations';
import { tempDir } from './helpers/relay';

const tables = (db: Database.Database) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);

describe('schema migrations', () => {
  it('a fresh database gets every version, up to the highest', () => {
    const db = openDatabase(join(tempDir('wl-migr-'), 'fresh.db'));
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
      expect(tables(db)).toEqual(expect.arrayContaining(['users', 'endpoints', 'history', 'login_sessions', 'refresh_tokens', 'pairings']));
    } finally {
      db.close();
    }
  });

  it('a version-3 database (issue 13) is upgraded in place, its rows kept', () => {
    const file = join(tempDir('wl-migr-'), 'old.db');
    const old = new Database(file);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) old.exec(migration.sql);
    old.pragma('user_version = 3');
    old.prepare("INSERT INTO users (username, password_hash, devices_limit, created_at) VALUES ('kept', 'x', 5, 1)").run();
    old.close();
    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
      expect(tables(db)).toContain('pairings');
      expect(db.prepare('SELECT username FROM users').all()).toEqual([{ username: 'kept' }]);
    } finally {
      db.close();
    }
  });
});
