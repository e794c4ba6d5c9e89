import { randomBytes } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { systemClock, type Clock } from '../time';

const ISSUER = 'wakelink-xs-relay';
const AUDIENCE = 'wakelink-xs-api';
const CLOCK_TOLERANCE_SECONDS = 30;
/** A header-sized JWT is a few hundred bytes; anything far bigger is refused before parsing (B20). */
export const MAX_JWT_LENGTH = 2048;
/** Login session ids (auth/login-sessions.ts). */
export const SESSION_ID_PATTERN = '^ls_[0-9a-f]{24}$';
const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);

export interface JwtIssuer {
  /** `sessionId`: the login session (refresh-token family) it was issued from, as claim `sid`. */
  issue(userId: number, username: string, sessionId?: string): Promise<{ token: string; expiresIn: number }>;
  /**
   * User id and expiry (ms); 'expired' for a token this relay signed whose time is up (the
   * signature is checked before the claims, so a forged token never gets that answer); null for
   * any other invalid, forged, alg:none or oversize token.
   */
  verify(token: string): Promise<{ userId: number; expiresAt: number; sessionId: string | null } | 'expired' | null>;
  readonly ttlSeconds: number;
}

/** HS256 pinned; `exp`, `sub` and `iat` required; issuer and audience checked (catalogue section 3). */
export function createJwtIssuer(key: Uint8Array, ttlSeconds: number, clock: Clock = systemClock): JwtIssuer {
  return {
    ttlSeconds,
    async issue(userId, username, sessionId) {
      const nowSeconds = Math.floor(clock.now() / 1000);
      const token = await new SignJWT(sessionId === undefined ? { name: username } : { name: username, sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowSeconds)
        // Unique per token, so two issued in the same second differ (and cache apart).
        .setJti(randomBytes(9).toString('base64url'))
        .setExpirationTime(nowSeconds + ttlSeconds)
        .sign(key);
      return { token, expiresIn: ttlSeconds };
    },
    async verify(token) {
      if (token.length > MAX_JWT_LENGTH) return null;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['exp', 'sub', 'iat'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(clock.now()),
        });
        const sub = payload.sub ?? '';
        if (!/^[1-9]\d{0,15}$/.test(sub) || typeof payload.exp !== 'number') return null;
        // Tokens signed before issue 14 have no session; they cannot be revoked, only expire.
        const sid = payload.sid;
        if (sid !== undefined && (typeof sid !== 'string' || !SESSION_ID_RE.test(sid))) return null;
        return { userId: Number(sub), expiresAt: payload.exp * 1000, sessionId: sid ?? null };
      } catch (error) {
        return error instanceof errors.JWTExpired ? 'expired' : null;
      }
    },
  };
}
