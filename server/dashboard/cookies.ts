import { signerFactory } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiEnv } from '../config';
import { CsrfTokens } from './csrf';
import { DASHBOARD_LIMITS } from './limits';

/** Carries only the signed random session id: never a user id on its own, never an API token. */
export const SESSION_COOKIE = 'wl_session';
/** Pre-login CSRF nonce for the login and register forms. */
export const FORM_COOKIE = 'wl_form';

/**
 * The dashboard's two cookies. Both are HMAC-signed with the cookie key derived from SECRET_KEY,
 * HttpOnly (no script can read them), and Secure in production or whenever the request came
 * over HTTPS. The session cookie is SameSite=Lax so links from elsewhere still open the dashboard;
 * every state change additionally needs a CSRF token.
 */
export class DashboardCookies {
  private readonly signer;

  constructor(cookieKey: string, private readonly apiEnv: ApiEnv) {
    this.signer = signerFactory(cookieKey);
  }

  setSession(request: FastifyRequest, reply: FastifyReply, sessionId: string, maxAgeMs: number): void {
    reply.setCookie(SESSION_COOKIE, this.signer.sign(sessionId), {
      path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure(request), maxAge: Math.floor(maxAgeMs / 1000),
    });
  }

  /** The session id when the cookie is present and its signature checks out; null otherwise. */
  sessionId(request: FastifyRequest): string | null {
    return this.verified(request.cookies[SESSION_COOKIE]);
  }

  clearSession(request: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.secure(request) });
  }

  /** The form nonce of this browser, issuing a fresh cookie when there is no valid one. */
  formNonce(request: FastifyRequest, reply: FastifyReply): string {
    const existing = this.existingFormNonce(request);
    if (existing) return existing;
    const nonce = CsrfTokens.newFormNonce();
    reply.setCookie(FORM_COOKIE, this.signer.sign(nonce), {
      path: '/', httpOnly: true, sameSite: 'strict', secure: this.secure(request), maxAge: Math.floor(DASHBOARD_LIMITS.formCookieTtlMs / 1000),
    });
    return nonce;
  }

  existingFormNonce(request: FastifyRequest): string | null {
    return this.verified(request.cookies[FORM_COOKIE]);
  }

  clearFormNonce(request: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(FORM_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: this.secure(request) });
  }

  private verified(raw: string | undefined): string | null {
    if (!raw || raw.length > DASHBOARD_LIMITS.fieldMaxLength) return null;
    const result = this.signer.unsign(raw);
    return result.valid && result.value ? result.value : null;
  }

  private secure(request: FastifyRequest): boolean {
    return this.apiEnv === 'production' || request.protocol === 'https';
  }
}
