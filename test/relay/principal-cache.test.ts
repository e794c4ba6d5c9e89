import { describe, expect, it } from 'vitest';
import type { Principal } from '../../server/auth/auth-service';
import { PrincipalCache } from '../../server/auth/principal-cache';

const apiPrincipal = (userId: number, tokenId: number): Principal => ({ userId, username: `u${userId}`, via: 'api_token', tokenId, expiresAt: null, sessionId: null });

describe('authentication cache (bounded, short-lived, revocable)', () => {
  it('forgets entries after the TTL, beyond the size bound (oldest first) and on revoke', () => {
    const cache = new PrincipalCache(2, 1_000);
    cache.set('a', apiPrincipal(1, 11), 0);
    expect(cache.get('a', 999)).toEqual(apiPrincipal(1, 11));
    expect(cache.get('a', 1_000)).toBeUndefined();

    cache.set('a', apiPrincipal(1, 11), 0);
    cache.set('b', apiPrincipal(2, 22), 0);
    cache.set('c', apiPrincipal(3, 33), 0);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)?.tokenId).toBe(22);

    cache.forgetToken(22);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('c', 1)?.tokenId).toBe(33);
  });

  it('a JWT principal ends at the token expiry even inside the TTL; callers get copies', () => {
    const cache = new PrincipalCache(8, 60_000);
    cache.set('expiring', { userId: 1, username: 'u1', via: 'jwt', tokenId: null, expiresAt: 5_000, sessionId: null }, 0);
    expect(cache.get('expiring', 4_999)?.userId).toBe(1);
    expect(cache.get('expiring', 5_000)).toBeUndefined();
    cache.set('live', { userId: 1, username: 'u1', via: 'jwt', tokenId: null, expiresAt: 60_000, sessionId: null }, 0);
    const got = cache.get('live', 1)!;
    got.userId = 999;
    expect(cache.get('live', 1)?.userId).toBe(1);
  });
});
