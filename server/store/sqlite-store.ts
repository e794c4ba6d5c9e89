import { closeDatabase, openDatabase, openUnsyncedConnection, type Db } from '../db/database';
import { createAccountStore } from './sqlite/accounts';
import { createCredentialStore } from './sqlite/credentials';
import { createDeviceStore } from './sqlite/devices';
import { createEndpointStore } from './sqlite/endpoints';
import { createHistoryStore } from './sqlite/history';
import { createLoginSessionStore } from './sqlite/login-sessions';
import { createPairingStore } from './sqlite/pairings';
import { createMailboxStore } from './sqlite/mailbox';
import { createQueueStore } from './sqlite/queue';
import { createResponseStore } from './sqlite/responses';
import type { EndpointRecord, NewDeviceCredential, Store } from './types';
import { WriteHealth } from './write-health';

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
  const health = new WriteHealth();
  /**
   * A write that inserted rows on the main connection when `wrote(result)`: its success clears the
   * degraded state (F10). Updates and deletes can succeed on a full disk, so they only report failures.
   */
  const commits = <A extends unknown[], R>(fn: (...args: A) => R, wrote: (result: R) => boolean = () => true) => (...args: A): R => {
    let result: R;
    try {
      result = fn(...args);
    } catch (error) {
      health.failed(error);
      throw error;
    }
    if (wrote(result)) health.succeeded();
    return result;
  };
  /** Any other write: only its failure counts. */
  const attempts = <A extends unknown[], R>(fn: (...args: A) => R) => commits(fn, () => false);

  const queue = createQueueStore(db, health, responsesDb);
  const sweepQueue = db.prepare<[number]>('DELETE FROM device_queue WHERE expires_at <= ?');
  const sweepResponses = db.prepare<[number]>('DELETE FROM device_responses WHERE expires_at <= ?');
  const ping = db.prepare('SELECT 1 AS ok');
  const { committer, forgetter, ...queueStore } = queue;
  const { closeActivity, pendingLastSeen, ...deviceStore } = createDeviceStore(db, health);
  const accounts = createAccountStore(db);
  const responses = createResponseStore(responsesDb);
  // Connect/disconnect times are bookkeeping: the unsynced connection.
  const endpoints = createEndpointStore(db, responsesDb);
  const { committer: mailCommitter, dropper: mailDropper, ...mailbox } = createMailboxStore(db, health, responsesDb);
  const { buffer: historyBuffer, ...history } = createHistoryStore(responsesDb, health, { failFastOnLock: true });
  const loginSessions = createLoginSessionStore(db);
  const pairings = createPairingStore(db);
  const { putCredential, ...credentials } = createCredentialStore(db);
  // One transaction: a board is never bound to an account without its credential, or the reverse.
  const claimDevice = db.transaction((userId: number, deviceId: string, name: string, limit: number, credential: NewDeviceCredential, now: number) => {
    const outcome = deviceStore.registerDevice(userId, deviceId, name, limit, now);
    if (outcome === 'created' || outcome === 'already_yours') putCredential(userId, deviceId, credential, now);
    return outcome;
  });
  /** A board's last contact may still be in the activity buffer. */
  const withActivity = (endpoint: EndpointRecord): EndpointRecord => {
    const pending = endpoint.deviceId === null ? null : pendingLastSeen(endpoint.deviceId);
    return pending !== null && (endpoint.lastSeenAt === null || pending > endpoint.lastSeenAt) ? { ...endpoint, lastSeenAt: pending } : endpoint;
  };
  const maybe = (endpoint: EndpointRecord | undefined) => endpoint && withActivity(endpoint);
  return {
    db,
    ...accounts,
    createUserWithToken: commits(accounts.createUserWithToken, (created) => created !== null),
    createApiToken: commits(accounts.createApiToken, (created) => created !== null),
    revokeApiToken: attempts(accounts.revokeApiToken),
    touchApiToken: attempts(accounts.touchApiToken),
    ...deviceStore,
    registerDevice: commits(deviceStore.registerDevice, (outcome) => outcome === 'created'),
    deleteDevice: attempts(deviceStore.deleteDevice),
    ...queueStore,
    markDelivered: attempts(queueStore.markDelivered),
    takeExpired: attempts(queueStore.takeExpired),
    ...responses,
    // On the unsynced second connection: its success says nothing about the main one.
    storeResponse: attempts(responses.storeResponse),
    takeResponses: attempts(responses.takeResponses),
    ...endpoints,
    createEndpoint: commits(endpoints.createEndpoint, (created) => created.ok),
    updateEndpoint: attempts(endpoints.updateEndpoint),
    deleteEndpoint: attempts(endpoints.deleteEndpoint),
    touchEndpoint: attempts(endpoints.touchEndpoint),
    findEndpoint: (id) => maybe(endpoints.findEndpoint(id)),
    findEndpointByUuid: (userId, uuid) => maybe(endpoints.findEndpointByUuid(userId, uuid)),
    findEndpointByDevice: (deviceId) => maybe(endpoints.findEndpointByDevice(deviceId)),
    listEndpoints: (userId) => endpoints.listEndpoints(userId).map(withActivity),
    ...mailbox,
    clearMailbox: attempts(mailbox.clearMailbox),
    takeExpiredMail: attempts(mailbox.takeExpiredMail),
    purgeConnectionMail: attempts(mailbox.purgeConnectionMail),
    ...history,
    ...loginSessions,
    createLoginSession: commits(loginSessions.createLoginSession),
    rotateRefreshToken: commits(loginSessions.rotateRefreshToken, (outcome) => outcome.ok),
    revokeLoginSession: attempts(loginSessions.revokeLoginSession),
    pruneLoginSessions: attempts(loginSessions.pruneLoginSessions),
    ...pairings,
    createPairing: commits(pairings.createPairing),
    deletePairing: attempts(pairings.deletePairing),
    ...credentials,
    claimDevice: commits((...args: Parameters<typeof claimDevice>) => claimDevice.immediate(...args), (outcome) => outcome === 'created' || outcome === 'already_yours'),
    revokeCredential: attempts(credentials.revokeCredential),
    touchCredential: attempts(credentials.touchCredential),
    queueBatches: () => committer.batches,
    sweepExpired: attempts((now: number) => sweepQueue.run(now).changes + sweepResponses.run(now).changes),
    healthy: () => {
      try {
        return db.open && (ping.get() as { ok: number }).ok === 1;
      } catch {
        return false;
      }
    },
    writeFailure: () => health.current(),
    close: async () => {
      committer.flush();
      forgetter.flush();
      mailCommitter.flush();
      mailDropper.flush();
      historyBuffer.close();
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
