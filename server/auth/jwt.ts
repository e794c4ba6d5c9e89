import { SignJWT, errors, jwtVerify } from 'jose';
import { systemClock, type Clock } from '../time';

const ISSUER = 'wakelink-xs-relay';
const AUDIENCE = 'wakelink-xs-api';
const CLOCK_TOLERANCE_SECONDS = 30;
/** A header-sized JWT is a few hundred bytes; anything far bigger is refused before parsing (B20). */
export const MAX_JWT_LENGTH = 2048;

export interface JwtIssuer {
  issue(userId: number, username: string): Promise<{ token: string; expiresIn: number }>;
  /**
   * User id and expiry (ms); 'expired' for a token this relay signed whose time is up (the
   * signature is checked before the claims, so a forged token never gets that answer); null for
   * any other invalid, forged, alg:none or oversize token.
   */
  verify(token: string): Promise<{ userId: number; expiresAt: number } | 'expired' | null>;
}

/** HS256 pinned; `exp`, `sub` and `iat` required; issuer and audience checked (catalogue section 3). */
export function createJwtIssuer(key: Uint8Array, ttlSeconds: number, clock: Clock = systemClock): JwtIssuer {
  return {
    async issue(userId, username) {
      const nowSeconds = Math.floor(clock.now() / 1000);
      const token = await new SignJWT({ name: username })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowSeconds)
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
        return { userId: Number(sub), expiresAt: payload.exp * 1000 };
      } catch (error) {
        return error instanceof errors.JWTExpired ? 'expired' : null;
      }
    },
  };
}
