import { timingSafeEqual } from 'node:crypto';
import { RelayError } from '../errors';
import { LIMITS } from '../limits';
import type { ApiTokenRecord, Store, UserRecord } from '../store/types';
import type { Clock } from '../time';
import { hashApiToken, issueApiToken, looksLikeApiToken } from './api-tokens';
import type { JwtIssuer } from './jwt';
import { HashLimiter } from './hash-limiter';
import { LoginSessions, type SessionPolicy, type TokenPair } from './login-sessions';
import { getDummyHash, hashPassword, verifyPassword } from './passwords';
import { PrincipalCache } from './principal-cache';
import { FailureThrottle } from './throttle';

/**
 * Who is calling. `tokenId` is set for API tokens so sockets can be closed when it is revoked.
 * `session` is for the server-rendered dashboard, which builds a Principal from its signed cookie.
 */
export interface Principal {
  userId: number;
  username: string;
  /** `device_credential`: a claimed board's own credential, accepted on that board's device socket only (issue 14). */
  via: 'api_token' | 'jwt' | 'session' | 'device_credential';
  tokenId: number | null;
  /** JWT expiry in ms since the epoch; open sockets are closed then (B17). Null for API tokens. */
  expiresAt: number | null;
  /** The login session (refresh family) a JWT was issued from; revoking it ends the JWT and its sockets. */
  sessionId: string | null;
  /** `device_credential` only: the SHA-256 of the credential, so its sockets end with it and not with a newer one. */
  credentialHash?: string;
}

/** Throttle budgets; tests that create many accounts from 127.0.0.1 raise `registrationsPerIp`. */
export interface ThrottleBudgets {
  loginWindowMs: number;
  loginFailuresPerAccount: number;
  loginFailuresPerIp: number;
  registrationsPerIp: number;
  tokenFailuresPerIp: number;
  /** Password hashes at once and waiting (HashLimiter). */
  passwordHashConcurrency: number;
  passwordHashQueue: number;
}

const DEFAULT_BUDGETS: ThrottleBudgets = {
  loginWindowMs: LIMITS.loginWindowMs,
  loginFailuresPerAccount: LIMITS.loginFailuresPerAccount,
  loginFailuresPerIp: LIMITS.loginFailuresPerIp,
  registrationsPerIp: LIMITS.registrationsPerIp,
  tokenFailuresPerIp: LIMITS.tokenFailuresPerIp,
  passwordHashConcurrency: LIMITS.passwordHashConcurrency,
  passwordHashQueue: LIMITS.passwordHashQueue,
};

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]+$';
const USERNAME_RE = new RegExp(USERNAME_PATTERN);

/**
 * Accounts, passwords, API tokens and JWTs. Routes (JSON API, WS handshakes and the future
 * server-rendered dashboard) all call this service; none touches hashes or the store directly.
 */
export class AuthService {
  private readonly accountThrottle: FailureThrottle;
  private readonly ipThrottle: FailureThrottle;
  private readonly registrationThrottle: FailureThrottle;
  /** Failed API token / JWT authentications per address (HTTP and WS). */
  private readonly tokenThrottle: FailureThrottle;
  private readonly hashes: HashLimiter;
  private readonly lastTouched = new Map<number, number>();
  private readonly revokeListeners: ((tokenId: number) => void)[] = [];
  private readonly principals = new PrincipalCache(LIMITS.authCacheEntries, LIMITS.authCacheTtlMs);
  /** Refresh-token families of password logins (issue 14). */
  readonly sessions: LoginSessions;

  constructor(
    private readonly store: Store,
    private readonly jwt: JwtIssuer,
    private readonly clock: Clock,
    private readonly deviceLimit: number,
    budgets: Partial<ThrottleBudgets> = {},
    sessionPolicy: Partial<SessionPolicy> = {},
  ) {
    this.sessions = new LoginSessions(store, jwt, clock, {
      refreshTtlMs: LIMITS.refreshTokenTtlMs, sessionMaxAgeMs: LIMITS.sessionMaxAgeMs, sessionsPerAccount: LIMITS.sessionsPerAccount,
      historyMaxEntries: LIMITS.historyMaxEntries, ...sessionPolicy,
    });
    this.sessions.onRevoked((sessionId) => this.principals.forgetSession(sessionId));
    const b = { ...DEFAULT_BUDGETS, ...budgets };
    const base = { windowMs: b.loginWindowMs, baseBackoffMs: 1000, maxBackoffMs: LIMITS.loginMaxBackoffMs, maxEntries: LIMITS.throttleMaxEntries };
    this.accountThrottle = new FailureThrottle({ ...base, maxFailures: b.loginFailuresPerAccount }, clock);
    this.ipThrottle = new FailureThrottle({ ...base, maxFailures: b.loginFailuresPerIp }, clock);
    this.registrationThrottle = new FailureThrottle({ ...base, maxFailures: b.registrationsPerIp }, clock);
    this.tokenThrottle = new FailureThrottle({ ...base, maxFailures: b.tokenFailuresPerIp }, clock);
    this.hashes = new HashLimiter(b.passwordHashConcurrency, b.passwordHashQueue, LIMITS.passwordHashesPerIp);
  }

  /** Creates an account and its first API token (returned in plain text only here). */
  async register(username: string, password: string, ip: string): Promise<{ user: UserRecord; apiToken: string }> {
    this.checkCredentialShape(username, password);
    this.assertNotThrottled(this.registrationThrottle.retryAfterMs(ip));
    const passwordHash = await this.hashes.run(ip, () => hashPassword(password));
    const token = issueApiToken();
    const created = this.store.createUserWithToken(
      { username, passwordHash, devicesLimit: this.deviceLimit },
      { tokenHash: token.hash, prefix: token.prefix, name: 'default' },
      this.clock.now(),
    );
    this.registrationThrottle.recordFailure(ip); // counts registrations per IP, successful or not
    if (!created) throw new RelayError('USERNAME_TAKEN');
    return { user: created.user, apiToken: token.plain };
  }

  /**
   * Password check with throttling per account and per IP; one generic error for every failure.
   * Both budgets are checked before anything is hashed: an address over its failure budget gets
   * 429 for every account, so it cannot spray one guess per account over many accounts (L6,
   * item 3). The owner of a sprayed account still logs in from any other address (the account's
   * own budget was not used up), or from that address once its failures age out of the window.
   */
  async verifyCredentials(username: string, password: string, ip: string): Promise<UserRecord> {
    const accountKey = `acct:${username.toLowerCase()}`;
    this.assertNotThrottled(this.accountThrottle.retryAfterMs(accountKey));
    this.assertNotThrottled(this.ipThrottle.retryAfterMs(ip));
    const user = typeof username === 'string' ? this.store.findUserByName(username) : undefined;
    const ok = await this.hashes.run(ip, async () => verifyPassword(String(password), user?.passwordHash ?? (await getDummyHash())));
    if (!user || !ok) {
      this.accountThrottle.recordFailure(accountKey);
      this.ipThrottle.recordFailure(ip);
      throw new RelayError('INVALID_CREDENTIALS');
    }
    this.accountThrottle.reset(accountKey);
    return user;
  }

  /** A password login starts a login session: a short-lived access JWT and the session's first refresh token. */
  async login(username: string, password: string, ip: string, clientName = ''): Promise<TokenPair> {
    const user = await this.verifyCredentials(username, password, ip);
    return this.sessions.start(user, ip, clientName);
  }

  /**
   * Rotates a refresh token. Failures count against the address like failed API tokens, and an
   * address over that budget is refused before its token is looked at.
   */
  async refresh(refreshToken: string, ip: string): Promise<TokenPair> {
    this.assertNotThrottled(this.tokenThrottle.retryAfterMs(ip));
    try {
      return await this.sessions.refresh(refreshToken, ip);
    } catch (error) {
      if (error instanceof RelayError && error.code === 'REFRESH_TOKEN_INVALID') this.tokenThrottle.recordFailure(ip);
      throw error;
    }
  }

  logout(refreshToken: string, ip: string): void {
    this.assertNotThrottled(this.tokenThrottle.retryAfterMs(ip));
    try {
      this.sessions.logout(refreshToken, ip);
    } catch (error) {
      if (error instanceof RelayError) this.tokenThrottle.recordFailure(ip);
      throw error;
    }
  }

  /**
   * Accepts an `sk-` API token or a JWT; null for anything else (callers pick the v1.0 error).
   * Failures are counted per client address (item 4); an address over its budget is refused with
   * TOO_MANY_ATTEMPTS before its token is looked at, so a valid guess is not told apart either.
   */
  async authenticate(raw: string, ip: string): Promise<Principal | null> {
    const result = await this.identify(raw, ip);
    return result === 'expired' ? null : result;
  }

  /** Like authenticate(), but says 'expired' for a JWT of ours whose time is up (TOKEN_EXPIRED; not a guess). */
  async identify(raw: string, ip: string): Promise<Principal | 'expired' | null> {
    this.assertNotThrottled(this.tokenThrottle.retryAfterMs(ip));
    const result = await this.resolveToken(raw);
    if (result === null) this.tokenThrottle.recordFailure(ip);
    return result;
  }

  /** Password hashes computed so far (logins and registrations), and the most ever in progress at once. */
  passwordHashes(): number {
    return this.hashes.started;
  }

  passwordHashPeak(): number {
    return this.hashes.peak;
  }

  /** A token checked elsewhere (a device credential) that matched nothing: counted like a wrong API token. */
  recordTokenFailure(ip: string): void {
    this.tokenThrottle.recordFailure(ip);
  }

  /** Milliseconds the address must wait before its next token is checked (0 = allowed). */
  tokenRetryAfterMs(ip: string): number {
    return this.tokenThrottle.retryAfterMs(ip);
  }

  private async resolveToken(raw: string): Promise<Principal | 'expired' | null> {
    if (looksLikeApiToken(raw)) return this.authenticateApiToken(raw);
    if (raw.split('.').length === 3) {
      const key = hashApiToken(raw);
      const cached = this.principals.get(key, this.clock.now());
      if (cached) return cached.expiresAt !== null && cached.expiresAt <= this.clock.now() ? 'expired' : cached;
      const verified = await this.jwt.verify(raw);
      if (verified === 'expired') return 'expired';
      const user = verified === null ? undefined : this.store.findUserById(verified.userId);
      if (!user || !verified) return null;
      // A revoked (or ended) session's access tokens are refused like forged ones.
      if (verified.sessionId !== null && !this.sessions.isLive(verified.sessionId, user.id)) return null;
      const principal: Principal = {
        userId: user.id, username: user.username, via: 'jwt', tokenId: null, expiresAt: verified.expiresAt, sessionId: verified.sessionId,
      };
      this.principals.set(key, principal, this.clock.now());
      return principal;
    }
    return null;
  }

  createApiToken(userId: number, name: string): { record: ApiTokenRecord; token: string } {
    const token = issueApiToken();
    const record = this.store.createApiToken(userId, { tokenHash: token.hash, prefix: token.prefix, name }, this.clock.now(), LIMITS.apiTokensPerUser);
    if (!record) throw new RelayError('TOKEN_LIMIT', `At most ${LIMITS.apiTokensPerUser} API tokens per user`);
    return { record, token: token.plain };
  }

  listApiTokens(userId: number): ApiTokenRecord[] {
    return this.store.listApiTokens(userId);
  }

  revokeApiToken(userId: number, tokenId: number): void {
    if (!this.store.revokeApiToken(userId, tokenId)) throw new RelayError('TOKEN_NOT_FOUND');
    this.lastTouched.delete(tokenId);
    this.principals.forgetToken(tokenId);
    for (const listener of this.revokeListeners) listener(tokenId);
  }

  /** The throttles by name, so several relay instances can share them (issue 15). */
  throttles(): Record<'account' | 'ip' | 'registration' | 'token', FailureThrottle> {
    return { account: this.accountThrottle, ip: this.ipThrottle, registration: this.registrationThrottle, token: this.tokenThrottle };
  }

  /** Another instance revoked this login session (issue 15): its access tokens are not trusted from the cache any more. */
  forgetRevokedSession(sessionId: string): void {
    this.principals.forgetSession(sessionId);
  }

  /** Another relay instance revoked the token (issue 15): no cached principal of it is used here either. */
  forgetRevokedToken(tokenId: number): void {
    this.lastTouched.delete(tokenId);
    this.principals.forgetToken(tokenId);
  }

  /** The hub uses this to close sockets that were opened with a token that no longer exists. */
  onTokenRevoked(listener: (tokenId: number) => void): void {
    this.revokeListeners.push(listener);
  }

  findUser(userId: number): UserRecord | undefined {
    return this.store.findUserById(userId);
  }

  private authenticateApiToken(raw: string): Principal | null {
    const hash = hashApiToken(raw);
    const cached = this.principals.get(hash, this.clock.now());
    if (cached?.tokenId != null) {
      this.touch(cached.tokenId);
      return cached;
    }
    const record = this.store.findApiTokenByHash(hash);
    // The index lookup already matched; the explicit constant-time compare keeps that true for any store.
    if (!record || !timingSafeEqual(Buffer.from(record.tokenHash), Buffer.from(hash))) return null;
    const user = this.store.findUserById(record.userId);
    if (!user) return null;
    this.touch(record.id);
    const principal: Principal = { userId: user.id, username: user.username, via: 'api_token', tokenId: record.id, expiresAt: null, sessionId: null };
    this.principals.set(hash, principal, this.clock.now());
    return principal;
  }

  /** Writes `last_used` at most once a minute per token, not once per request. */
  private touch(tokenId: number): void {
    const now = this.clock.now();
    const last = this.lastTouched.get(tokenId) ?? 0;
    if (now - last < LIMITS.tokenTouchIntervalMs) return;
    this.lastTouched.set(tokenId, now);
    if (this.lastTouched.size > LIMITS.throttleMaxEntries) this.lastTouched.clear();
    try {
      this.store.touchApiToken(tokenId, now);
    } catch {
      // Bookkeeping only: a locked database must not turn a valid token into an error (F9).
    }
  }

  private checkCredentialShape(username: string, password: string): void {
    if (username.length < LIMITS.usernameMinLength || username.length > LIMITS.usernameMaxLength || !USERNAME_RE.test(username)) {
      throw new RelayError('BAD_REQUEST', `username must be ${LIMITS.usernameMinLength}-${LIMITS.usernameMaxLength} characters of A-Z a-z 0-9 _ . -`);
    }
    if (password.length < LIMITS.passwordMinLength || password.length > LIMITS.passwordMaxLength) {
      throw new RelayError('BAD_REQUEST', `password must be ${LIMITS.passwordMinLength}-${LIMITS.passwordMaxLength} characters`);
    }
  }

  private assertNotThrottled(waitMs: number): void {
    if (waitMs > 0) throw new RelayError('TOO_MANY_ATTEMPTS', undefined, Math.ceil(waitMs / 1000));
  }
}
