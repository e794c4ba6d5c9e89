import type { WriteFailure } from './write-health';

/**
 * Persistence behind interfaces: routes, hub and auth depend on these only, so another database
 * can replace SQLite without touching them.
 */

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  plan: string;
  devicesLimit: number;
  createdAt: number;
}

export interface ApiTokenRecord {
  id: number;
  userId: number;
  tokenHash: string;
  prefix: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface DeviceRecord {
  deviceId: string;
  userId: number;
  /** Its board endpoint (issue 13): every device is one. */
  endpointId: string;
  name: string;
  addedAt: number;
  lastSeenAt: number | null;
  pollCount: number;
}

export interface QueuedCommand {
  id: number;
  deviceId: string;
  payload: string;
  signature: string;
  createdAt: number;
  expiresAt: number;
  /** Times it was written to a device socket (0 = never delivered). */
  attempts: number;
  /** Last delivery, or null while it has never left the relay. */
  deliveredAt: number | null;
}

/** A queue row removed because its TTL passed. */
export interface ExpiredCommand {
  id: number;
  deviceId: string;
  attempts: number;
  signature: string;
}

export interface StoredResponse {
  id: number;
  deviceId: string;
  payload: string;
  signature: string;
  requestCounter: number | null;
  createdAt: number;
}

export interface NewApiToken {
  tokenHash: string;
  prefix: string;
  name: string;
}

export interface UserStore {
  /** Creates the user and its first API token atomically; null when the name is taken. */
  createUserWithToken(user: { username: string; passwordHash: string; devicesLimit: number }, token: NewApiToken, now: number):
    { user: UserRecord; token: ApiTokenRecord } | null;
  findUserByName(username: string): UserRecord | undefined;
  findUserById(id: number): UserRecord | undefined;
  countUsers(): number;
}

export interface TokenStore {
  /** Null when the user already holds `max` tokens. */
  createApiToken(userId: number, token: NewApiToken, now: number, max: number): ApiTokenRecord | null;
  findApiTokenByHash(tokenHash: string): ApiTokenRecord | undefined;
  listApiTokens(userId: number): ApiTokenRecord[];
  /** Only the owner's token; false when missing or someone else's. */
  revokeApiToken(userId: number, tokenId: number): boolean;
  touchApiToken(tokenId: number, now: number): void;
}

export type RegisterOutcome = 'created' | 'already_yours' | 'taken' | 'limit';

export interface DeviceStore {
  findDevice(deviceId: string): DeviceRecord | undefined;
  /** Owner check first, then the limit (v1.0 B11 checked the limit first). */
  registerDevice(userId: number, deviceId: string, name: string, limit: number, now: number): RegisterOutcome;
  /** Also removes its queued commands and stored responses. */
  deleteDevice(userId: number, deviceId: string): boolean;
  listDevices(userId: number): DeviceRecord[];
  countDevices(userId?: number): number;
  touchDevice(deviceId: string, now: number, requestCounter?: number | null): void;
  addPolls(deviceId: string, count: number): void;
}

export type EnqueueResult = { ok: true; id: number } | { ok: false; reason: 'queue_full' | 'device_missing' | 'unavailable' };

export interface QueueStore {
  /** Resolves only after the row is committed to disk (catalogue C1). */
  enqueue(command: { deviceId: string; payload: string; signature: string }, now: number, ttlMs: number, cap: number): Promise<EnqueueResult>;
  /**
   * A command already written to the device socket (forwarded live): stored as delivered once, in
   * the same group commit as enqueues, so a relay crash before its reply does not lose it (issue
   * 12 item 11). Not subject to the queue cap (it is bounded by the in-flight bound instead).
   */
  recordInFlight(command: { deviceId: string; payload: string; signature: string }, now: number, ttlMs: number): Promise<EnqueueResult>;
  /**
   * Deletes answered (or abandoned) commands soon, batched, without an fsync (nothing waits for
   * it): a delete lost to a power cut only re-sends a command the device refuses as a replay (C2).
   */
  forget(ids: readonly number[]): void;
  /**
   * Live (unexpired) commands, oldest first, including in-flight ones (delivered, not yet answered:
   * `attempts > 0`). Expired rows are never returned; `takeExpired` removes them.
   */
  pendingFor(deviceId: string, now: number): QueuedCommand[];
  /** Records one more delivery attempt of each command (F4). */
  markDelivered(ids: readonly number[], now: number): void;
  /** Deletes and returns expired commands, of one device or of all. */
  takeExpired(now: number, deviceId?: string): ExpiredCommand[];
  countQueued(userId?: number): number;
}

export interface ResponseStore {
  /** Returns the new row's id. */
  storeResponse(response: { deviceId: string; payload: string; signature: string; requestCounter: number | null }, now: number, ttlMs: number, maxPerDevice: number): number;
  /**
   * Reads up to `limit` live responses, oldest first, and deletes and returns those `choose`
   * picks (all of them without `choose`), in one transaction.
   */
  takeResponses(deviceId: string, now: number, limit: number, choose?: (rows: StoredResponse[]) => StoredResponse[]): StoredResponse[];
  countResponses(userId?: number): number;
}

/** A login session (issue 14): one refresh-token family, from one password login. */
export interface LoginSessionRecord {
  id: string;
  userId: number;
  /** The client's own label (its User-Agent), for the session list. */
  name: string;
  address: string;
  createdAt: number;
  lastUsedAt: number;
  /** Absolute end of the family (SESSION_MAX_AGE_SECONDS after login); refreshing never extends it. */
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
}

export type RefreshOutcome =
  | { ok: true; session: LoginSessionRecord }
  /** `reused`: the token was already used (its family is revoked by the caller); `dead`: unknown, expired, or its session ended. */
  | { ok: false; reason: 'unknown' | 'expired' | 'ended' | 'reused'; session?: LoginSessionRecord };

export interface LoginSessionStore {
  /** Creates the session and its first refresh token; revokes (reason `evicted`) the oldest live sessions beyond `max`, returning their ids. */
  createLoginSession(session: Omit<LoginSessionRecord, 'revokedAt' | 'revokedReason'>, tokenHash: string, tokenExpiresAt: number, max: number): string[];
  /**
   * Rotation in one transaction: marks `oldHash` used (only if it was unused, so two concurrent
   * refreshes cannot both win) and stores `newHash`. Nothing is written unless it returns ok.
   */
  rotateRefreshToken(oldHash: string, newHash: string, now: number, tokenTtlMs: number): RefreshOutcome;
  findLoginSession(id: string): LoginSessionRecord | undefined;
  findSessionByRefreshHash(hash: string): LoginSessionRecord | undefined;
  /** Live sessions of the user, newest first. */
  listLoginSessions(userId: number, now: number): LoginSessionRecord[];
  /** False when it is not the user's, or already revoked. */
  revokeLoginSession(userId: number, id: string, reason: string, now: number): boolean;
  /** Deletes sessions that ended before `cutoff` (their tokens go with them); returns how many. */
  pruneLoginSessions(cutoff: number): number;
}

export interface PairingRecord {
  id: string;
  userId: number;
  hostEndpoint: string;
  clientEndpoint: string;
  createdAt: number;
}

export interface PairingStore {
  /** Pairs the client with the host, replacing the client's earlier pairing (returned, if any). */
  createPairing(pairing: PairingRecord): { replaced: PairingRecord | undefined };
  findPairing(id: string): PairingRecord | undefined;
  pairingOfClient(clientEndpoint: string): PairingRecord | undefined;
  pairingsOfHost(hostEndpoint: string): PairingRecord[];
  listPairings(userId: number): PairingRecord[];
  /** False when it is not the user's. */
  deletePairing(userId: number, id: string): boolean;
}

/** A board's own credential (issue 14): only its hash and a display prefix are stored. */
export interface DeviceCredentialRecord {
  deviceId: string;
  userId: number;
  credentialHash: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface NewDeviceCredential {
  hash: string;
  prefix: string;
}

export interface CredentialStore {
  /**
   * Binds the device to the user (registerDevice's rules: 'taken', 'limit') and, when it is the
   * user's, gives it this credential in place of any earlier one, in one transaction.
   */
  claimDevice(userId: number, deviceId: string, name: string, limit: number, credential: NewDeviceCredential, now: number): RegisterOutcome;
  findCredentialByHash(hash: string): DeviceCredentialRecord | undefined;
  listCredentials(userId: number): DeviceCredentialRecord[];
  /** Only the owner's; false when the device has none (or is not theirs). */
  revokeCredential(userId: number, deviceId: string): boolean;
  /** Bookkeeping (a board connected with it). */
  touchCredential(deviceId: string, now: number): void;
}

export interface Store extends UserStore, TokenStore, DeviceStore, QueueStore, ResponseStore, EndpointStore, MailboxStore, HistoryStore, LoginSessionStore, PairingStore, CredentialStore {
  /** Deletes expired queue rows and responses; returns how many. */
  sweepExpired(now: number): number;
  /** True when the database answers a trivial query. */
  healthy(): boolean;
  /** The last write failure (disk full, read-only, locked) while no write has succeeded since; else null. */
  writeFailure(): WriteFailure | null;
  /** Waits for pending group commits, checkpoints and closes. */
  close(): Promise<void>;
}

/** Endpoint kinds (issue 13). `board` endpoints are devices; the others are registered over REST. */
export const ENDPOINT_KINDS = ['board', 'app', 'cli', 'host', 'client', 'browser'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];
export type PublicKeyType = 'ed25519' | 'x25519';

export interface EndpointRecord {
  id: string;
  userId: number;
  kind: EndpointKind;
  name: string;
  uuid: string | null;
  publicKey: { type: PublicKeyType; key: string } | null;
  /** Boards only. */
  deviceId: string | null;
  createdAt: number;
  lastSeenAt: number | null;
}

export interface NewEndpoint {
  kind: Exclude<EndpointKind, 'board'>;
  name: string;
  uuid: string | null;
  publicKey: { type: PublicKeyType; key: string } | null;
}

export type CreateEndpointOutcome = { ok: true; endpoint: EndpointRecord } | { ok: false; reason: 'limit' | 'uuid_taken' };

/** Endpoint rows. A board's row is created and deleted with its device (registerDevice, deleteDevice). */
export interface EndpointStore {
  createEndpoint(userId: number, endpoint: NewEndpoint, id: string, now: number, limit: number): CreateEndpointOutcome;
  findEndpoint(id: string): EndpointRecord | undefined;
  findEndpointByUuid(userId: number, uuid: string): EndpointRecord | undefined;
  findEndpointByDevice(deviceId: string): EndpointRecord | undefined;
  listEndpoints(userId: number): EndpointRecord[];
  /** Renames (boards: their device name) and/or replaces the public key (null clears it); false when not the user's. */
  updateEndpoint(userId: number, id: string, change: { name?: string; publicKey?: EndpointRecord['publicKey'] }): boolean;
  /** Non-board endpoints only (boards go with their device); also drops its mailbox. */
  deleteEndpoint(userId: number, id: string): boolean;
  /** Bookkeeping (connect/disconnect); may be batched. */
  touchEndpoint(id: string, now: number): void;
}

/** What waits in a mailbox: a routed message, or a recipient's ack routed back to its sender. */
export type MailboxKind = 'message' | 'ack';

export interface MailboxItem {
  id: number;
  toEndpoint: string;
  fromEndpoint: string;
  kind: MailboxKind;
  msgid: string;
  /** The exact frame the recipient gets. */
  frame: string;
  acknowledge: boolean;
  createdAt: number;
  expiresAt: number;
}

export type MailboxPutResult =
  | { ok: true; id: number; duplicate: boolean }
  | { ok: false; reason: 'full' | 'unavailable' };

/**
 * Endpoint mailboxes: every routed message is written here first (durably, group commit) and
 * deleted when its recipient acks it, so delivery is at least once across disconnects and restarts.
 */
export interface MailboxStore {
  /** Resolves after commit. The same (to, from, kind, msgid) again is a duplicate: the existing row, not a second one. */
  putMail(item: Omit<MailboxItem, 'id'>, cap: number): Promise<MailboxPutResult>;
  /** Live items of the recipient, oldest first (the order of arrival, so per-sender order holds). */
  pendingMail(toEndpoint: string, now: number, limit: number, afterId?: number): MailboxItem[];
  /** The recipient's live items with this msgid (any sender), for its ack. */
  mailByMsgid(toEndpoint: string, msgid: string, now: number): MailboxItem[];
  /** Deletes soon, batched, without an fsync: a delete lost to a power cut only redelivers (recognisable by msgid). */
  dropMail(ids: readonly number[]): void;
  /** Everything waiting for the endpoint (it was deleted, or it was connection-scoped and left). */
  clearMailbox(toEndpoint: string): void;
  /** Deletes and returns expired items. */
  takeExpiredMail(now: number): MailboxItem[];
  /** At start: mail for connection-scoped endpoints of an earlier run (none of them exists any more). */
  purgeConnectionMail(): number;
  countMail(toEndpoint: string, now: number): number;
}

export type HistoryKind = 'command' | 'message' | 'ack' | 'event' | 'signal' | 'session' | 'pairing' | 'credential';

export interface HistoryEntry {
  userId: number;
  at: number;
  kind: HistoryKind;
  fromEndpoint: string | null;
  toEndpoint: string | null;
  /** What the relay did: delivered, queued, stored, fanned_out, or the refusal's wire code. */
  status: string;
  /** Metadata only (ids, names, sizes, via, address): never a payload or content. */
  meta: Record<string, unknown>;
}

export interface StoredHistoryEntry extends HistoryEntry {
  id: number;
}

export interface HistoryStore {
  /** Batched on the unsynced connection (an audit row is not an acknowledged command); keeps at most `maxPerAccount`. */
  recordHistory(entry: HistoryEntry, maxPerAccount: number): void;
  /** Newest first; `endpoint` matches either side; `beforeId` pages on. */
  listHistory(userId: number, query: { endpoint?: string; beforeId?: number; limit: number }): StoredHistoryEntry[];
  /** Retention: deletes entries older than `cutoff` and beyond `maxPerAccount` per account; returns how many. */
  pruneHistory(cutoff: number, maxPerAccount: number): number;
}
