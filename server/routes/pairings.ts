import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../plugins/fastify-types';
import { PAIRING_ID_PATTERN } from '../routing/pairing';
import { ENDPOINT_REF_PATTERN } from './endpoints';
import { API_AUTH, AUTH_ERRORS, BODY_ERRORS, errors, integer, object, text } from './schemas';

const security = API_AUTH;
const endpointRef = { type: 'string', pattern: ENDPOINT_REF_PATTERN, description: 'one of your registered endpoints: endpoint id (ep_…), device id (WL…) or uuid' } as const;
const PAIRED = object('Paired: commands without `to` from the client go to the host, the host\'s events reach the client', {
  status: { type: 'string', enum: ['paired'] }, pairing_id: text,
  host_device_id: { type: 'string', description: 'the host\'s device id when it is a board, else its endpoint id' },
  host_endpoint: text, client_endpoint: text,
});
const PAIRING = object('A pairing', {
  id: text, host_endpoint: text, host_device_id: text, client_endpoint: text, created_at: { type: 'string', description: 'ISO-8601, UTC' },
});

/**
 * Pairing over REST (issue 14), the same as the `pair_request` / `pair_confirm` frames: the account
 * token speaks for the endpoint named in the body. Every failed code is 400 `invalid_code`.
 */
export const pairingRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);
  const resolve = (userId: number, ref: string) => app.router.endpoints.resolveOrThrow(userId, ref);

  app.post<{ Body: { endpoint: string } }>('/api/pairings/code', {
    schema: {
      tags: ['pairings'], summary: 'Ask for a pairing code for one of your endpoints (it becomes the host); another endpoint confirms it', security,
      body: { type: 'object', required: ['endpoint'], additionalProperties: false, properties: { endpoint: endpointRef } },
      response: {
        200: object('A 6-digit code, single use', { code: { type: 'string', pattern: '^[0-9]{6}$' }, expires_in_seconds: { ...integer, description: 'PAIRING_CODE_TTL_SECONDS' } }),
        ...errors(400, ...AUTH_ERRORS, 404, 429, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const endpoint = await resolve(principal.userId, request.body.endpoint);
    return app.router.pairings.requestCode({ userId: principal.userId, endpoint, address: request.ip, via: 'http' });
  });

  app.post<{ Body: { endpoint: string; code: string } }>('/api/pairings', {
    schema: {
      tags: ['pairings'], summary: 'Confirm a pairing code for another of your endpoints (it becomes the client of the endpoint that asked)', security,
      body: {
        type: 'object', required: ['endpoint', 'code'], additionalProperties: false,
        properties: { endpoint: endpointRef, code: { type: 'string', minLength: 1, maxLength: 16, description: 'the code, as given ("448826")' } },
      },
      response: { 200: PAIRED, ...errors(400, ...AUTH_ERRORS, 404, ...BODY_ERRORS, 503) },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const endpoint = await resolve(principal.userId, request.body.endpoint);
    return app.router.pairings.confirm({ userId: principal.userId, endpoint, address: request.ip, via: 'http' }, request.body.code);
  });

  app.get('/api/pairings', {
    schema: {
      tags: ['pairings'], summary: 'List your pairings', security,
      response: { 200: object('Your pairings, oldest first', { pairings: { type: 'array', items: PAIRING } }), ...errors(...AUTH_ERRORS, 503) },
    },
  }, async (request) => ({ pairings: app.router.pairings.list(principalOf(request).userId) }));

  app.delete<{ Params: { id: string } }>('/api/pairings/:id', {
    schema: {
      tags: ['pairings'], summary: 'Remove a pairing', security,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: PAIRING_ID_PATTERN } } },
      response: { 200: object('Removed', { status: { type: 'string', enum: ['removed'] }, id: text }), ...errors(...AUTH_ERRORS, 404, 422, 503) },
    },
  }, async (request) => {
    app.router.pairings.remove(principalOf(request).userId, request.params.id, request.ip, 'http');
    return { status: 'removed', id: request.params.id };
  });
};
