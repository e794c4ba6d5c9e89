import type { FastifyPluginAsync } from 'fastify';
import { LIMITS } from '../limits';
import { principalOf } from '../plugins/fastify-types';
import type { ApiTokenRecord } from '../store/types';
import { API_AUTH, AUTH_ERRORS, BODY_ERRORS, errors, integer, nullableText, object, text } from './schemas';

const tokenFields = {
  id: integer, name: text, prefix: { type: 'string', description: 'the first characters, for recognising a token' },
  created_at: text, last_used_at: nullableText,
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** Listings never contain the token or its hash: only the display prefix. */
const describe = (token: ApiTokenRecord) => ({
  id: token.id, name: token.name, prefix: token.prefix, created_at: iso(token.createdAt), last_used_at: iso(token.lastUsedAt),
});

/** API token management for the calling user. */
export const tokenRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);

  app.get('/api/tokens', {
    schema: {
      tags: ['tokens'], summary: 'List your API tokens (prefix only)', security: API_AUTH,
      response: { 200: object('Your tokens, never their values', { tokens: { type: 'array', items: object('A token', tokenFields) } }), ...errors(...AUTH_ERRORS, 503) },
    },
  }, async (request) => ({
    tokens: app.auth.listApiTokens(principalOf(request).userId).map(describe),
  }));

  app.post<{ Body: { name?: string } | undefined }>('/api/tokens', {
    schema: {
      tags: ['tokens'],
      summary: 'Create an API token (shown once)',
      security: API_AUTH,
      body: { type: ['object', 'null'], properties: { name: { type: 'string', maxLength: LIMITS.tokenNameMaxLength } } },
      response: {
        201: object('The new token; `token` is shown only here', { ...tokenFields, token: text }),
        ...errors(...AUTH_ERRORS, 403, ...BODY_ERRORS, 503),
      },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const { record, token } = app.auth.createApiToken(principal.userId, request.body?.name ?? '');
    request.log.info({ event: 'token_created', userId: principal.userId, tokenId: record.id }, 'api token created');
    return reply.code(201).send({ ...describe(record), token });
  });

  app.delete<{ Params: { id: number } }>('/api/tokens/:id', {
    schema: {
      tags: ['tokens'],
      summary: 'Revoke an API token; sockets opened with it are closed',
      security: API_AUTH,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
      response: { 200: object('Revoked', { status: { type: 'string', enum: ['revoked'] }, id: integer }), ...errors(...AUTH_ERRORS, 404, 422, 503) },
    },
  }, async (request) => {
    const principal = principalOf(request);
    app.auth.revokeApiToken(principal.userId, request.params.id);
    request.log.info({ event: 'token_revoked', userId: principal.userId, tokenId: request.params.id }, 'api token revoked');
    return { status: 'revoked', id: request.params.id };
  });
};
