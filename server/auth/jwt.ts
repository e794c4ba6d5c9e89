import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'wakelink-xs-relay';
const AUDIENCE = 'wakelink-xs-api';
const CLOCK_TOLERANCE_SECONDS = 30;
/** A header-sized JWT is a few hundred bytes; anything far bigger is refused before parsing (B20). */
export const MAX_JWT_LENGTH = 2048;

export interface JwtIssuer {
  issue(userId: number, username: string): Promise<{ token: string; expiresIn: number }>;
  /** User id and expiry (ms), or null for any invalid, forged, expired, alg:none or oversize token. */
  verify(token: string): Promise<{ userId: number; expiresAt: number } | null>;
}

/** HS256 pinned; `exp`, `sub` and `iat` required; issuer and audience checked (catalogue section 3). */
export function createJwtIssuer(key: Uint8Array, ttlSeconds: number): JwtIssuer {
  return {
    async issue(userId, username) {
      const token = await new SignJWT({ name: username })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
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
        });
        const sub = payload.sub ?? '';
        if (!/^[1-9]\d{0,15}$/.test(sub) || typeof payload.exp !== 'number') return null;
        return { userId: Number(sub), expiresAt: payload.exp * 1000 };
      } catch {
        return null;
      }
    },
  };
}
