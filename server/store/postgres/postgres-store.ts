/**
 * The PostgreSQL implementation of every store interface (issue 15), selected by
 * DATABASE_URL=postgres://…; SQLite stays the default. It runs the store modules of
 * server/store/sqlite/ on PgStatements (one store logic, two databases), with the same group
 * commits (an enqueue resolves only after its COMMIT), and replaces what several instances must do
 * differently: the queue is *claimed* by the instance that writes it to the board (SELECT … FOR
 * UPDATE SKIP LOCKED, a lease per row), so two instances flushing one board at once never write
 * the same command twice; a dead instance's claims are released by the survivors.
 */
import { withoutPassword } from '../../logger';
import { DatabaseOpenError } from '../../db/database';
import { createAccountStore } from '../sqlite/accounts';
import { createCredentialStore } from '../sqlite/credentials';
import { createDeviceStore } from '../sqlite/devices';
import { createEndpointStore } from '../sqlite/endpoints';
import { createHistoryStore } from '../sqlite/history';
import { createLoginSessionStore } from '../sqlite/login-sessions';
import { createMailboxStore } from '../sqlite/mailbox';
import { createPairingStore } from '../sqlite/pairings';
import { createQueueStore } from '../sqlite/queue';
import { createResponseStore } from '../sqlite/responses';
import type { EndpointRecord, NewDeviceCredential, QueuedCommand, Store } from '../types';
import { WriteHealth } from '../write-health';
import { migratePostgres } from './migrations';
import { PgStatements } from './statements';
import { PgError, SyncPg } from './sync-client';

export interface PostgresOptions {
  url: string;
  /** Who claims queue rows: this instance's node id (unique per start). */
  node: string;
  queryTimeoutMs: number;
  connectTimeoutMs: number;
  /** How long a claimed, not yet answered row stays this instance's. */
  claimLeaseMs: number;
}

export interface PostgresStore extends Store {
  /** The rows claimed by an instance that died go back to the queue. Returns how many. */
  releaseClaims(node: string): number;
  queueBatches(): number;
}


/** Failures that are the database's: server error codes (SQLSTATE), lost connections, timeouts. */
const pgErrorCode = (error: unknown): string | null => (error instanceof PgError ? `PG_${error.code}` : null);

interface QueueRow {
  id: number; device_id: string; payload: string; signature: string; created_at: number; expires_at: number; attempts: number; delivered_at: number | null;
}

export function createPostgresStore(options: PostgresOptions): PostgresStore {
  const pg = new SyncPg({ url: options.url, queryTimeoutMs: options.queryTimeoutMs, connectTimeoutMs: options.connectTimeoutMs, applicationName: `wakelink-${options.node}` });
  try {
    migratePostgres(pg);
  } catch (error) {
    void pg.close();
    const cause = error instanceof PgError ? `${error.code}: ${error.message}` : (error as Error).message;
    throw new DatabaseOpenError(`cannot use PostgreSQL at ${withoutPassword(options.url)}: ${cause}`);
  }
  const statements = new PgStatements(pg);
  const db = statements.asDb();
  const health = new WriteHealth(Date.now, pgErrorCode);
  const guarded = <A extends unknown[], R>(fn: (...args: A) => R, wrote: (result: R) => boolean = () => false) => (...args: A): R => {
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

  const { committer, forgetter, ...queue } = createQueueStore(db, health);
  const { closeActivity, pendingLastSeen, ...devices } = createDeviceStore(db, health);
  const accounts = createAccountStore(db);
  const responses = createResponseStore(db);
  const endpoints = createEndpointStore(db);
  const { committer: mailCommitter, dropper: mailDropper, ...mailbox } = createMailboxStore(db, health);
  const { buffer: historyBuffer, ...history } = createHistoryStore(db, health);
  const loginSessions = createLoginSessionStore(db);
  const pairings = createPairingStore(db);
  const { putCredential, ...credentials } = createCredentialStore(db);
  // One transaction, as on SQLite: a board is never bound to an account without its credential.
  const claimDevice = db.transaction((userId: number, deviceId: string, name: string, limit: number, credential: NewDeviceCredential, now: number) => {
    const outcome = devices.registerDevice(userId, deviceId, name, limit, now);
    if (outcome === 'created' || outcome === 'already_yours') putCredential(userId, deviceId, credential, now);
    return outcome;
  });
  const sweepQueue = statements.prepare('DELETE FROM device_queue WHERE expires_at <= ?');
  const sweepResponses = statements.prepare('DELETE FROM device_responses WHERE expires_at <= ?');
  // Live rows of the device that nobody else holds (or whose holder's lease ran out) become ours.
  const claim = statements.prepare(`UPDATE device_queue SET claimed_by = ?, claim_until = ?
    WHERE id IN (SELECT id FROM device_queue WHERE device_id = ? AND expires_at > ? AND (claimed_by IS NULL OR claimed_by = ? OR claim_until <= ?)
      ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING id, device_id, payload, signature, created_at, expires_at, attempts, delivered_at`);
  const markDelivered = statements.prepare('UPDATE device_queue SET attempts = attempts + 1, delivered_at = ?, claimed_by = ?, claim_until = ? WHERE id = ANY(?::bigint[])');
  const release = statements.prepare('UPDATE device_queue SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ?');

  const withActivity = (endpoint: EndpointRecord): EndpointRecord => {
    const pending = endpoint.deviceId === null ? null : pendingLastSeen(endpoint.deviceId);
    return pending !== null && (endpoint.lastSeenAt === null || pending > endpoint.lastSeenAt) ? { ...endpoint, lastSeenAt: pending } : endpoint;
  };
  const maybe = (endpoint: EndpointRecord | undefined) => endpoint && withActivity(endpoint);

  return {
    ...accounts,
    createUserWithToken: guarded(accounts.createUserWithToken, (created) => created !== null),
    createApiToken: guarded(accounts.createApiToken, (created) => created !== null),
    revokeApiToken: guarded(accounts.revokeApiToken),
    touchApiToken: guarded(accounts.touchApiToken),
    ...devices,
    registerDevice: guarded(devices.registerDevice, (outcome) => outcome === 'created'),
    deleteDevice: guarded(devices.deleteDevice),
    ...queue,
    pendingFor: guarded((deviceId: string, now: number): QueuedCommand[] => {
      const rows = claim.all(options.node, now + options.claimLeaseMs, deviceId, now, options.node, now) as QueueRow[];
      return rows.sort((x, y) => x.id - y.id).map((row) => ({
        id: row.id, deviceId: row.device_id, payload: row.payload, signature: row.signature, createdAt: row.created_at, expiresAt: row.expires_at,
        attempts: row.attempts, deliveredAt: row.delivered_at,
      }));
    }),
    markDelivered: guarded((ids: readonly number[], now: number) => {
      if (ids.length > 0) markDelivered.run(now, options.node, now + options.claimLeaseMs, [...ids]);
    }),
    takeExpired: guarded(queue.takeExpired),
    ...responses,
    storeResponse: guarded(responses.storeResponse),
    takeResponses: guarded(responses.takeResponses),
    ...endpoints,
    createEndpoint: guarded(endpoints.createEndpoint, (created) => created.ok),
    updateEndpoint: guarded(endpoints.updateEndpoint),
    deleteEndpoint: guarded(endpoints.deleteEndpoint),
    touchEndpoint: guarded(endpoints.touchEndpoint),
    findEndpoint: (id) => maybe(endpoints.findEndpoint(id)),
    findEndpointByUuid: (userId, uuid) => maybe(endpoints.findEndpointByUuid(userId, uuid)),
    findEndpointByDevice: (deviceId) => maybe(endpoints.findEndpointByDevice(deviceId)),
    listEndpoints: (userId) => endpoints.listEndpoints(userId).map(withActivity),
    ...mailbox,
    clearMailbox: guarded(mailbox.clearMailbox),
    takeExpiredMail: guarded(mailbox.takeExpiredMail),
    purgeConnectionMail: guarded(mailbox.purgeConnectionMail),
    ...history,
    ...loginSessions,
    createLoginSession: guarded(loginSessions.createLoginSession, () => true),
    rotateRefreshToken: guarded(loginSessions.rotateRefreshToken, (outcome) => outcome.ok),
    revokeLoginSession: guarded(loginSessions.revokeLoginSession),
    pruneLoginSessions: guarded(loginSessions.pruneLoginSessions),
    ...pairings,
    createPairing: guarded(pairings.createPairing, () => true),
    deletePairing: guarded(pairings.deletePairing),
    ...credentials,
    claimDevice: guarded((...args: Parameters<typeof claimDevice>) => claimDevice.immediate(...args), (outcome) => outcome === 'created' || outcome === 'already_yours'),
    revokeCredential: guarded(credentials.revokeCredential),
    touchCredential: guarded(credentials.touchCredential),
    releaseClaims: guarded((node: string) => release.run(node).changes),
    queueBatches: () => committer.batches,
    sweepExpired: guarded((now: number) => sweepQueue.run(now).changes + sweepResponses.run(now).changes),
    healthy: () => {
      try {
        pg.query('SELECT 1');
        // Back after a lost connection or a restart: that failure is over. A full disk (53xxx) or a
        // read-only server (25006) still answers reads, so those wait for a write to succeed (F10).
        const failure = health.current();
        if (failure && !/^PG_(53|25006)/.test(failure.code)) health.succeeded();
        return true;
      } catch (error) {
        health.failed(error);
        return false;
      }
    },
    writeFailure: () => health.current(),
    close: async () => {
      for (const flush of [() => committer.flush(), () => forgetter.flush(), () => mailCommitter.flush(), () => mailDropper.flush(), () => historyBuffer.close(), () => closeActivity()]) {
        try {
          flush();
        } catch {
          // PostgreSQL is away at shutdown: what was acknowledged is already committed.
        }
      }
      await pg.close();
    },
  };
}
