import { createHmac } from 'node:crypto';

/** Separate keys per purpose, derived from SECRET_KEY, so no key is reused (OWASP JWT rule). */
export interface DerivedKeys {
  jwt: Uint8Array;
  /** For the dashboard's signed session cookies (@fastify/cookie `secret`). */
  cookie: string;
  /** For CSRF tokens of the dashboard forms. */
  csrf: Uint8Array;
}

export function deriveKeys(secret: Uint8Array): DerivedKeys {
  const derive = (label: string) => new Uint8Array(createHmac('sha256', secret).update(`wakelink-xs/${label}/v1`).digest());
  return { jwt: derive('jwt'), cookie: Buffer.from(derive('cookie')).toString('base64url'), csrf: derive('csrf') };
}
