import type { FastifyPluginAsync } from 'fastify';
import { SESSION_ID_PATTERN } from '../auth/jwt';
import { principalOf } from '../plugins/fastify-types';
import type { LoginSessionRecord } from '../store/types';
import { API_AUTH, AUTH_ERRORS, boolean, errors, object, text } from './schemas';

const iso = (ms: number) => new Date(ms).toISOString();

const sessionFields = {
  id: text, name: { type: 'string', description: 'the client that logged in (its User-Agent)' }, address: text,
  created_at: text, last_used_at: text, expires_at: { type: 'string', description: 'the session ends then, however often it is refreshed' },
  current: { ...boolean, description: 'the session of the access token making this request' },
};

const describe = (session: LoginSessionRecord, current: string | null) => ({
  id: session.id, name: session.name, address: session.address, created_at: iso(session.createdAt), last_used_at: iso(session.lastUsedAt),
  expires_at: iso(session.expiresAt), current: session.id === current,
});

/** Login sessions (refresh-token families, issue 14) of the calling user: list and revoke. */
export const sessionRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);

  app.get('/auth/sessions', {
    schema: {
      tags: ['auth'], summary: 'List your live login sessions (never their tokens)', security: API_AUTH,
      response: { 200: object('Your sessions, newest first', { sessions: { type: 'array', items: object('A login session', sessionFields) } }), ...errors(...AUTH_ERRORS, 503) },
    },
  }, async (request) => {
    const principal = principalOf(request);
    return { sessions: app.auth.sessions.list(principal.userId).map((session) => describe(session, principal.sessionId)) };
  });

  app.delete<{ Params: { id: string } }>('/auth/sessions/:id', {
    schema: {
      tags: ['auth'],
      summary: 'Revoke a login session: its refresh token and access tokens stop working, the sockets they opened are closed',
      security: API_AUTH,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: SESSION_ID_PATTERN } } },
      response: { 200: object('Revoked', { status: { type: 'string', enum: ['revoked'] }, id: text }), ...errors(...AUTH_ERRORS, 404, 422, 503) },
    },
  }, async (request) => {
    const principal = principalOf(request);
    app.auth.sessions.revoke(principal.userId, request.params.id, 'revoked', request.ip);
    request.log.info({ event: 'session_revoked_by_user', userId: principal.userId, sessionId: request.params.id }, 'login session revoked');
    return { status: 'revoked', id: request.params.id };
  });
};
