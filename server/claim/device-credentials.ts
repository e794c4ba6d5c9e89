import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { AuthService, Principal } from '../auth/auth-service';
import { hashApiToken } from '../auth/api-tokens';
import { ERROR_TABLE, RelayError, closeCodeFor, wsErrorFrame } from '../errors';
import { LIMITS } from '../limits';
import type { DeviceCredentialRecord, NewDeviceCredential, Store } from '../store/types';
import type { Clock } from '../time';

export const DEVICE_CREDENTIAL_PREFIX = 'dc_';
const CREDENTIAL_RANDOM_BYTES = 32;
const DISPLAY_CHARS = 8;
const CREDENTIAL_RE = /^dc_[A-Za-z0-9_-]{43}$/;
/** A revoked socket that does not finish the close handshake is cut after this (revocation: within a second). */
const REVOKE_CUT_MS = 500;

export interface IssuedDeviceCredential extends NewDeviceCredential {
  /** The only time the secret exists: sent to the board over its claim socket, never stored. */
  plain: string;
}

/** 256 random bits, so SHA-256 at rest is as safe as for API tokens and gives an index key. */
export function issueDeviceCredential(): IssuedDeviceCredential {
  const plain = DEVICE_CREDENTIAL_PREFIX + randomBytes(CREDENTIAL_RANDOM_BYTES).toString('base64url');
  return { plain, hash: hashApiToken(plain), prefix: plain.slice(0, DEVICE_CREDENTIAL_PREFIX.length + DISPLAY_CHARS) };
}

export function looksLikeDeviceCredential(value: string): boolean {
  return CREDENTIAL_RE.test(value);
}

/**
 * Per-device credentials (issue 14): a claimed board's own secret, good for exactly one thing,
 * that board's device socket. Everywhere else (account APIs, client sockets, another device's
 * socket) it is an unknown token: INVALID_TOKEN, counted against the address like any wrong token.
 * Not cached, so a revoked credential never opens another socket; revocation closes the sockets
 * it opened at once.
 */
export class DeviceCredentials {
  /** Per device: its sockets opened with a credential, and that credential's hash. */
  private readonly sockets = new Map<string, Map<WebSocket, string>>();
  private readonly lastTouched = new Map<string, number>();
  private readonly closedListeners: ((deviceId: string) => void)[] = [];

  constructor(private readonly store: Store, private readonly auth: AuthService, private readonly clock: Clock, private readonly historyMaxEntries: number = LIMITS.historyMaxEntries) {}

  /**
   * The audit log (history): who claimed, re-claimed or revoked which board's credential, when and
   * from where; never the credential (only its display prefix).
   */
  recordChange(userId: number, deviceId: string, status: 'claimed' | 'reclaimed' | 'revoked', address: string, prefix?: string): void {
    try {
      const endpoint = this.store.findDevice(deviceId)?.endpointId ?? null;
      this.store.recordHistory({
        userId, at: this.clock.now(), kind: 'credential', fromEndpoint: null, toEndpoint: endpoint, status,
        meta: { device_id: deviceId, address, ...(prefix === undefined ? {} : { credential_prefix: prefix }) },
      }, this.historyMaxEntries);
    } catch {
      // Bookkeeping: never fails the change it records.
    }
  }

  /** The device socket's token check: its own credential, or what the account APIs accept (v1.0 boards). */
  async identifyForDevice(raw: string, ip: string, deviceId: string): Promise<Principal | 'expired' | null> {
    if (!looksLikeDeviceCredential(raw)) return this.auth.identify(raw, ip);
    const waitMs = this.auth.tokenRetryAfterMs(ip);
    if (waitMs > 0) throw new RelayError('TOO_MANY_ATTEMPTS', undefined, Math.ceil(waitMs / 1000));
    const hash = hashApiToken(raw);
    const record = this.store.findCredentialByHash(hash);
    // The index lookup matched already; the constant-time compare keeps that true for any store.
    const user = record && timingSafeEqual(Buffer.from(record.credentialHash), Buffer.from(hash)) && record.deviceId === deviceId
      ? this.store.findUserById(record.userId) : undefined;
    if (!record || !user) {
      this.auth.recordTokenFailure(ip);
      return null;
    }
    this.touch(deviceId);
    return { userId: user.id, username: user.username, via: 'device_credential', tokenId: null, expiresAt: null, sessionId: null, credentialHash: hash };
  }

  /** A device socket opened with the device's credential: closed when it is revoked or replaced. */
  track(deviceId: string, ws: WebSocket, credentialHash: string): void {
    let open = this.sockets.get(deviceId);
    if (!open) this.sockets.set(deviceId, (open = new Map()));
    open.set(ws, credentialHash);
  }

  /**
   * The socket closed (the device socket's own close handling calls this, so no listener per
   * socket is added here); a socket that was never tracked is ignored.
   */
  forget(deviceId: string, ws: WebSocket): void {
    const open = this.sockets.get(deviceId);
    if (!open?.delete(ws)) return;
    if (open.size === 0) this.sockets.delete(deviceId);
  }

  list(userId: number): DeviceCredentialRecord[] {
    return this.store.listCredentials(userId);
  }

  /** Revokes the device's credential; its board is told CREDENTIAL_REVOKED and claims again. */
  revoke(userId: number, deviceId: string, address: string): { socketsClosed: number } {
    const prefix = this.store.listCredentials(userId).find((c) => c.deviceId === deviceId)?.prefix;
    if (!this.store.revokeCredential(userId, deviceId)) throw new RelayError('CREDENTIAL_NOT_FOUND');
    this.recordChange(userId, deviceId, 'revoked', address, prefix);
    return { socketsClosed: this.closeSockets(deviceId) };
  }

  /**
   * Told each time this instance ends a device's credential (revoked or replaced by a re-claim), so
   * the other instances of a cluster close the sockets they hold with it too (issue 15).
   */
  onCredentialEnded(listener: (deviceId: string) => void): void {
    this.closedListeners.push(listener);
  }

  /**
   * Closes the sockets opened with the device's (old) credential, telling each CREDENTIAL_REVOKED.
   * `remote`: another instance ended it (its listeners were told there).
   */
  closeSockets(deviceId: string, remote = false): number {
    if (!remote) for (const listener of this.closedListeners) listener(deviceId);
    // Only sockets whose credential is no longer the device's: a board that already reconnected
    // with its new credential (possibly before another instance heard of the change) keeps it.
    const open = [...(this.sockets.get(deviceId) ?? [])]
      .filter(([, hash]) => this.store.findCredentialByHash(hash)?.deviceId !== deviceId)
      .map(([ws]) => ws);
    for (const ws of open) {
      ws.send(wsErrorFrame('CREDENTIAL_REVOKED', ERROR_TABLE.CREDENTIAL_REVOKED.message));
      ws.close(closeCodeFor('CREDENTIAL_REVOKED'), 'credential revoked');
      setTimeout(() => ws.terminate(), REVOKE_CUT_MS).unref();
    }
    return open.length;
  }

  /** `last_used` at most once a minute per device. */
  private touch(deviceId: string): void {
    const now = this.clock.now();
    if (now - (this.lastTouched.get(deviceId) ?? 0) < LIMITS.tokenTouchIntervalMs) return;
    this.lastTouched.set(deviceId, now);
    if (this.lastTouched.size > LIMITS.throttleMaxEntries) this.lastTouched.clear();
    try {
      this.store.touchCredential(deviceId, now);
    } catch {
      // Bookkeeping only (F9).
    }
  }
}
