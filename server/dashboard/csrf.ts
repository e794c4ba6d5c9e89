import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens derived with HMAC from the dashboard's CSRF key:
 * - signed in: a synchronizer token bound to the session id (never stored, recomputed per check);
 * - before login: bound to a random value in a separate HttpOnly cookie (signed double-submit),
 *   so a foreign site cannot log a victim into the attacker's account either.
 * Distinct labels keep a token of one kind from ever passing as the other.
 */
export class CsrfTokens {
  constructor(private readonly key: Uint8Array) {}

  forSession(sessionId: string): string {
    return this.mac(`session|${sessionId}`);
  }

  forForm(formNonce: string): string {
    return this.mac(`form|${formNonce}`);
  }

  static newFormNonce(): string {
    return randomBytes(24).toString('base64url');
  }

  /** Constant-time comparison; false for anything missing or of the wrong shape. */
  static matches(expected: string, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const a = Buffer.from(expected);
    const b = Buffer.from(presented);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private mac(message: string): string {
    return createHmac('sha256', this.key).update(message).digest('base64url');
  }
}
