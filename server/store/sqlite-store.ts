import { closeDatabase, openDatabase, openUnsyncedConnection, type Db } from '../db/database';
import { createAccountStore } from './sqlite/accounts';
import { createDeviceStore } from './sqlite/devices';
import { createQueueStore } from './sqlite/queue';
import { createResponseStore } from './sqlite/responses';
import type { Store } from './types';

export interface SqliteStore extends Store {
  readonly db: Db;
  /** Group-commit transactions so far (benchmarks compare it with the number of enqueues). */
  queueBatches(): number;
}

/**
 * The SQLite implementation of every store interface (one per process): everything on one
 * synchronous=FULL connection, except stored device responses, which use a second connection
 * without fsync (they are not acknowledged commands; see openUnsyncedConnection).
 */
export function createSqliteStore(file: string): SqliteStore {
  const db = openDatabase(file);
  let responsesDb: Db;
  try {
    responsesDb = openUnsyncedConnection(file);
  } catch (error) {
    closeDatabase(db);
    throw error;
  }
  const queue = createQueueStore(db);
  const sweepQueue = db.prepare<[number]>('DELETE FROM device_queue WHERE expires_at <= ?');
  const sweepResponses = db.prepare<[number]>('DELETE FROM device_responses WHERE expires_at <= ?');
  const ping = db.prepare('SELECT 1 AS ok');
  const { committer, ...queueStore } = queue;
  const { closeActivity, ...deviceStore } = createDeviceStore(db);
  return {
    db,
    ...createAccountStore(db),
    ...deviceStore,
    ...queueStore,
    ...createResponseStore(responsesDb),
    queueBatches: () => committer.batches,
    sweepExpired: (now) => sweepQueue.run(now).changes + sweepResponses.run(now).changes,
    healthy: () => {
      try {
        return db.open && (ping.get() as { ok: number }).ok === 1;
      } catch {
        return false;
      }
    },
    close: async () => {
      committer.flush();
      try {
        closeActivity();
      } catch {
        // Bookkeeping only (F9): a locked database must not fail the shutdown of C6.
      }
      // Closed first, so the main connection's checkpoint folds the whole WAL back in.
      if (responsesDb.open) responsesDb.close();
      closeDatabase(db);
    },
  };
}
