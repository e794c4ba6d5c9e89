import type { FastifyPluginAsync } from 'fastify';
import { LIMITS } from '../limits';
import { principalOf } from '../plugins/fastify-types';
import type { ApiTokenRecord } from '../store/types';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** Listings never contain the token or its hash: only the display prefix. */
const describe = (token: ApiTokenRecord) => ({
  id: token.id, name: token.name, prefix: token.prefix, created_at: iso(token.createdAt), last_used_at: iso(token.lastUsedAt),
});

/** API token management for the calling user. */
export const tokenRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);

  app.get('/api/tokens', { schema: { tags: ['tokens'], summary: 'List your API tokens (prefix only)', security: [{ bearer: [] }] } }, async (request) => ({
    tokens: app.auth.listApiTokens(principalOf(request).userId).map(describe),
  }));

  app.post<{ Body: { name?: string } | undefined }>('/api/tokens', {
    schema: {
      tags: ['tokens'],
      summary: 'Create an API token (shown once)',
      security: [{ bearer: [] }],
      body: { type: ['object', 'null'], properties: { name: { type: 'string', maxLength: LIMITS.tokenNameMaxLength } } },
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
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
    },
  }, async (request) => {
    const principal = principalOf(request);
    app.auth.revokeApiToken(principal.userId, request.params.id);
    request.log.info({ event: 'token_revoked', userId: principal.userId, tokenId: request.params.id }, 'api token revoked');
    return { status: 'revoked', id: request.params.id };
  });
};
