/**
 * The small prepared-statement surface the store modules of server/store/sqlite/ are written
 * against (prepare → get/all/run, transaction → immediate, open), implemented on PostgreSQL, so
 * both databases run the same store logic. The SQL of those modules is the common subset of both
 * dialects; what differs is translated here, once: `?` placeholders become `$n`, and an INSERT
 * into a table with a generated id returns it (SQLite's lastInsertRowid).
 *
 * An "immediate" transaction takes one cluster-wide advisory lock first: like SQLite's single
 * writer, a check-then-write (a queue cap, a device limit, a free user name) cannot interleave
 * with the same check on another instance.
 */
import type { Db } from '../../db/database';
import type { SyncPg } from './sync-client';

const WRITE_LOCK_KEY = 0x57_4c_15; // "WL" + issue 15: any constant, the same on every instance
const TABLES_WITH_ID = /^\s*INSERT\s+INTO\s+(users|api_tokens|device_queue|device_responses|endpoint_mailbox|history)\b/i;

function translate(sql: string): string {
  let n = 0;
  let text = sql.replace(/\?/g, () => `$${++n}`);
  if (TABLES_WITH_ID.test(text) && !/\bRETURNING\b/i.test(text)) text += ' RETURNING id';
  return text;
}

const params = (args: unknown[]) => args.map((value) => (value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value));

export interface PgStatement {
  get(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown[];
  run(...args: unknown[]): { changes: number; lastInsertRowid: number };
}

export class PgStatements {
  constructor(readonly pg: SyncPg) {}

  get open(): boolean {
    return this.pg.open;
  }

  prepare(sql: string): PgStatement {
    const text = translate(sql);
    return {
      get: (...args) => this.pg.query(text, params(args)).rows[0],
      all: (...args) => this.pg.query(text, params(args)).rows,
      run: (...args) => {
        const result = this.pg.query(text, params(args));
        const id = result.rows[0]?.id;
        return { changes: result.rowCount, lastInsertRowid: typeof id === 'number' ? id : 0 };
      },
    };
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate: (...args: A) => R } {
    const run = (...args: A): R => this.pg.transaction(() => {
      this.pg.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
      return fn(...args);
    });
    return Object.assign(run, { immediate: run });
  }

  /** For the store modules, whose parameter type is better-sqlite3's Database: only the surface above is used. */
  asDb(): Db {
    return this as unknown as Db;
  }
}
