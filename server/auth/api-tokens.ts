import { hash, randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'sk-';
const TOKEN_RANDOM_BYTES = 32;
/** Shown in listings so users can tell tokens apart; 8 of ~43 random chars reveal nothing useful. */
const DISPLAY_CHARS = 8;

export interface IssuedApiToken {
  /** The only time the plain token exists: returned to the user once, never stored. */
  plain: string;
  hash: string;
  prefix: string;
}

/**
 * Tokens carry 256 random bits, so a fast SHA-256 is a safe at-rest hash (no dictionary to attack)
 * and gives an indexable lookup key. Hashed on every authenticated request, hence the one-shot
 * `crypto.hash` (Node 20.12+; a third of createHash's time for a token).
 */
export function hashApiToken(plain: string): string {
  return hash('sha256', plain, 'hex');
}

export function issueApiToken(): IssuedApiToken {
  const plain = API_TOKEN_PREFIX + randomBytes(TOKEN_RANDOM_BYTES).toString('base64url');
  return { plain, hash: hashApiToken(plain), prefix: plain.slice(0, API_TOKEN_PREFIX.length + DISPLAY_CHARS) };
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(API_TOKEN_PREFIX) && /^sk-[A-Za-z0-9_-]{43,}$/.test(value);
}
