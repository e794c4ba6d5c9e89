import type { Principal } from './auth-service';

interface Entry {
  principal: Principal;
  /** Clock time after which the entry is looked up again in the store. */
  staleAt: number;
}

/**
 * Recently authenticated credentials → principal, so a busy client does not cost two SELECTs (and
 * for JWTs a signature check) per request. Keyed by the credential's SHA-256, never the credential.
 * Bounded in size and age; entries of a revoked token are dropped at once (AuthService).
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number, private readonly ttlMs: number) {}

  get(key: string, now: number): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // A JWT principal also ends at the token's own expiry, on the relay's clock (jwt.ts checks against it too).
    if (now >= entry.staleAt || (entry.principal.expiresAt !== null && now >= entry.principal.expiresAt)) {
      this.entries.delete(key);
      return undefined;
    }
    return { ...entry.principal };
  }

  set(key: string, principal: Principal, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { principal: { ...principal }, staleAt: now + this.ttlMs });
    // Maps iterate in insertion order: evict the oldest.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  forgetSession(sessionId: string): void {
    for (const [key, entry] of this.entries) if (entry.principal.sessionId === sessionId) this.entries.delete(key);
  }

  forgetToken(tokenId: number): void {
    for (const [key, entry] of this.entries) if (entry.principal.tokenId === tokenId) this.entries.delete(key);
  }
}
