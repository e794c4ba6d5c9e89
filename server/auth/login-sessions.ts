import { randomBytes } from 'node:crypto';
import { RelayError } from '../errors';
import type { LoginSessionRecord, Store, UserRecord } from '../store/types';
import type { Clock } from '../time';
import { hashApiToken } from './api-tokens';
import type { JwtIssuer } from './jwt';

export const REFRESH_TOKEN_PATTERN = '^rt_[A-Za-z0-9_-]{43}$';
const REFRESH_TOKEN_RE = new RegExp(REFRESH_TOKEN_PATTERN);
/** Longest client label kept for the session list. */
export const SESSION_NAME_MAX = 64;

/** Lifetimes and bounds of login sessions (config-limits.ts knobs). */
export interface SessionPolicy {
  /** A refresh token unused this long is dead (REFRESH_TOKEN_TTL_SECONDS); each rotation starts a new one. */
  refreshTtlMs: number;
  /** A session ends this long after its login whatever is refreshed (SESSION_MAX_AGE_SECONDS). */
  sessionMaxAgeMs: number;
  /** Live sessions per account; a login beyond it ends the oldest (SESSIONS_PER_ACCOUNT). */
  sessionsPerAccount: number;
  historyMaxEntries: number;
}

/** What login and refresh answer (POST /auth/login, POST /auth/refresh). */
export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  session_id: string;
}

export type RevokeReason = 'logout' | 'revoked' | 'reuse' | 'evicted';

const newSessionId = () => `ls_${randomBytes(12).toString('hex')}`;
const newRefreshToken = () => `rt_${randomBytes(32).toString('base64url')}`;

/**
 * Login sessions (issue 14): a password login starts a family of refresh tokens. Each refresh
 * uses its token up and hands out the next one with a fresh short-lived access JWT carrying the
 * family as claim `sid`. Presenting a used refresh token again means two parties hold the family,
 * so the whole family is revoked: its access tokens stop working at once (AuthService checks the
 * session of every JWT it has not seen in the last AUTH cache period, and forgets cached ones on
 * revocation), the sockets they opened are closed, and the audit log says so.
 */
export class LoginSessions {
  private readonly revokeListeners: ((sessionId: string, reason: RevokeReason) => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly jwt: JwtIssuer,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
  ) {}

  async start(user: UserRecord, address: string, name: string): Promise<TokenPair> {
    const now = this.clock.now();
    const id = newSessionId();
    const refresh = newRefreshToken();
    const session = {
      id, userId: user.id, name: name.slice(0, SESSION_NAME_MAX), address, createdAt: now, lastUsedAt: now, expiresAt: now + this.policy.sessionMaxAgeMs,
    };
    const refreshExpiresAt = Math.min(now + this.policy.refreshTtlMs, session.expiresAt);
    const evicted = this.store.createLoginSession(session, hashApiToken(refresh), refreshExpiresAt, this.policy.sessionsPerAccount);
    for (const old of evicted) this.revoked(user.id, old, 'evicted', address);
    return this.pair(user, id, refresh, refreshExpiresAt, now);
  }

  /** Rotation. Refusals: REFRESH_TOKEN_INVALID (unknown, expired, ended), REFRESH_TOKEN_REUSED (the family is now revoked). */
  async refresh(raw: string, address: string): Promise<TokenPair> {
    if (!REFRESH_TOKEN_RE.test(raw)) throw new RelayError('REFRESH_TOKEN_INVALID');
    const now = this.clock.now();
    const next = newRefreshToken();
    const outcome = this.store.rotateRefreshToken(hashApiToken(raw), hashApiToken(next), now, this.policy.refreshTtlMs);
    if (!outcome.ok) {
      if (outcome.reason === 'reused' && outcome.session) {
        if (this.store.revokeLoginSession(outcome.session.userId, outcome.session.id, 'reuse', now)) {
          this.revoked(outcome.session.userId, outcome.session.id, 'reuse', address);
        }
        throw new RelayError('REFRESH_TOKEN_REUSED');
      }
      throw new RelayError('REFRESH_TOKEN_INVALID');
    }
    const user = this.store.findUserById(outcome.session.userId);
    if (!user) throw new RelayError('REFRESH_TOKEN_INVALID');
    return this.pair(user, outcome.session.id, next, Math.min(now + this.policy.refreshTtlMs, outcome.session.expiresAt), now);
  }

  /** Logout with the session's refresh token (used or not: it proves the family). */
  logout(raw: string, address: string): LoginSessionRecord {
    const session = REFRESH_TOKEN_RE.test(raw) ? this.store.findSessionByRefreshHash(hashApiToken(raw)) : undefined;
    if (!session || session.revokedAt !== null || session.expiresAt <= this.clock.now()) throw new RelayError('REFRESH_TOKEN_INVALID');
    this.revoke(session.userId, session.id, 'logout', address);
    return session;
  }

  /** Ends one of the user's sessions; SESSION_NOT_FOUND when it is not theirs or already ended. */
  revoke(userId: number, sessionId: string, reason: RevokeReason, address: string): void {
    if (!this.store.revokeLoginSession(userId, sessionId, reason, this.clock.now())) throw new RelayError('SESSION_NOT_FOUND');
    this.revoked(userId, sessionId, reason, address);
  }

  list(userId: number): LoginSessionRecord[] {
    return this.store.listLoginSessions(userId, this.clock.now());
  }

  /** Whether access tokens of the session may still be used. */
  isLive(sessionId: string, userId: number): boolean {
    const session = this.store.findLoginSession(sessionId);
    return session !== undefined && session.userId === userId && session.revokedAt === null && session.expiresAt > this.clock.now();
  }

  /** Deletes sessions that ended more than one access-token lifetime ago (none of their tokens can still be valid). */
  prune(): number {
    return this.store.pruneLoginSessions(this.clock.now() - this.jwt.ttlSeconds * 1000 - 60_000);
  }

  onRevoked(listener: (sessionId: string, reason: RevokeReason) => void): void {
    this.revokeListeners.push(listener);
  }

  private revoked(userId: number, sessionId: string, reason: RevokeReason, address: string): void {
    for (const listener of this.revokeListeners) listener(sessionId, reason);
    try {
      this.store.recordHistory({
        userId, at: this.clock.now(), kind: 'session', fromEndpoint: null, toEndpoint: null,
        status: reason === 'reuse' ? 'reuse_detected' : `revoked_${reason}`, meta: { session_id: sessionId, address },
      }, this.policy.historyMaxEntries);
    } catch {
      // The audit row is bookkeeping: the revocation itself is already committed.
    }
  }

  private async pair(user: UserRecord, sessionId: string, refresh: string, refreshExpiresAt: number, now: number): Promise<TokenPair> {
    const { token, expiresIn } = await this.jwt.issue(user.id, user.username, sessionId);
    return {
      access_token: token, token_type: 'bearer', expires_in: expiresIn,
      refresh_token: refresh, refresh_expires_in: Math.floor((refreshExpiresAt - now) / 1000), session_id: sessionId,
    };
  }
}
