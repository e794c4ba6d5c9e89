import type { FastifyPluginAsync, preValidationAsyncHookHandler } from 'fastify';
import { DEVICE_ID_PATTERN } from '../../shared/index';
import { RelayError } from '../errors';
import { CONNECTION_ENDPOINT_ID_PATTERN, ENDPOINT_ID_PATTERN, isConnectionEndpointId, UUID_PATTERN } from '../ids';
import { LIMITS } from '../limits';
import { principalOf } from '../plugins/fastify-types';
import type { EndpointKind } from '../store/types';
import { ENDPOINT_KINDS } from '../store/types';
import { API_AUTH, AUTH_ERRORS, BODY_ERRORS, errors, integer, nullableText, object, text } from './schemas';

const security = API_AUTH;
const name = { type: 'string', minLength: 1, maxLength: LIMITS.endpointNameMaxLength } as const;
const publicKey = {
  type: 'object', required: ['type', 'key'], additionalProperties: false,
  description: 'An Ed25519 or X25519 public key: the 32 raw bytes in base64 or base64url (checked; returned as base64url)',
  properties: { type: { type: 'string', enum: ['ed25519', 'x25519'] }, key: { type: 'string', maxLength: 64 } },
} as const;
/** Any name of an endpoint: its id, a connection's id, a board's device id, or its uuid. */
export const ENDPOINT_REF_PATTERN = [ENDPOINT_ID_PATTERN, CONNECTION_ENDPOINT_ID_PATTERN, DEVICE_ID_PATTERN, UUID_PATTERN].map((p) => `(${p})`).join('|');
const ref = {
  type: 'object', required: ['ref'],
  properties: { ref: { type: 'string', pattern: ENDPOINT_REF_PATTERN, description: 'endpoint id (ep_…), connection endpoint id (ec_…), device id (WL…) or uuid' } },
} as const;
const timestamp = { type: 'string', description: 'ISO-8601, UTC' } as const;

export const ENDPOINT_VIEW = object('An endpoint of your account', {
  id: text, kind: { type: 'string', enum: [...ENDPOINT_KINDS] }, name: text, uuid: nullableText, device_id: nullableText,
  public_key: { type: ['object', 'null'], properties: publicKey.properties }, created_at: timestamp, last_seen: { ...timestamp, type: ['string', 'null'] },
  online: { type: 'boolean', description: 'a socket of this endpoint is connected now (live presence)' },
  ephemeral: { type: 'boolean', description: 'a connection-scoped endpoint (a client socket that is not a registered endpoint, such as a v1.0 CLI): it exists while connected' },
});

/**
 * Fastify's validator drops unknown body fields silently (removeAdditional); these routes refuse
 * them by name instead, before validation, so a typo is an error and not a field that vanished.
 */
function refuseUnknownFields(allowed: readonly string[]): preValidationAsyncHookHandler {
  return async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
    const extra = Object.keys(body).filter((key) => !allowed.includes(key));
    if (extra.length > 0) throw new RelayError('VALIDATION', `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `\`${k.slice(0, 40)}\``).join(', ')}`);
  };
}

interface CreateBody { kind: EndpointKind; name: string; uuid?: string; public_key?: { type: string; key: string }; device_id?: string }
interface UpdateBody { name?: string; public_key?: { type: string; key: string } | null }

/**
 * Endpoints over REST (issue 13): register, list with live presence, one, rename (and set or clear
 * a public key), delete. Boards are devices: registering one is `/api/register_device` with a
 * name, deleting one deletes the device. Another account's endpoint is 404, like a missing one.
 */
export const endpointRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);
  const deviceLimitOf = (userId: number) => app.store.findUserById(userId)?.devicesLimit ?? app.relayConfig.deviceLimit;

  app.post<{ Body: CreateBody }>('/api/endpoints', {
    preValidation: refuseUnknownFields(['kind', 'name', 'uuid', 'public_key', 'device_id']),
    schema: {
      tags: ['endpoints'], summary: 'Register an endpoint (a board needs device_id; others may give a uuid and a public key)', security,
      body: {
        type: 'object', required: ['kind', 'name'], additionalProperties: false,
        properties: {
          kind: { type: 'string', enum: [...ENDPOINT_KINDS] }, name, uuid: { type: 'string', pattern: UUID_PATTERN, description: 'optional, chosen by the client; unique in the account; routes like the id' },
          public_key: publicKey, device_id: { type: 'string', pattern: DEVICE_ID_PATTERN, description: 'boards only' },
        },
      },
      response: { 201: ENDPOINT_VIEW, ...errors(400, ...AUTH_ERRORS, 403, 409, ...BODY_ERRORS, 503) },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const created = app.router.endpoints.register(principal, request.body, deviceLimitOf(principal.userId));
    request.log.info({ event: 'endpoint_created', userId: principal.userId, endpoint: created.id, kind: created.kind }, 'endpoint registered');
    return reply.code(201).send(await app.router.endpoints.get(principal.userId, created.id));
  });

  app.get('/api/endpoints', {
    schema: {
      tags: ['endpoints'], summary: 'List your endpoints with live presence (registered ones, then connection-scoped ones connected now)', security,
      response: { 200: object('Your endpoints', { endpoints: { type: 'array', items: ENDPOINT_VIEW } }), ...errors(...AUTH_ERRORS, 503) },
    },
  }, async (request) => ({ endpoints: await app.router.endpoints.list(principalOf(request).userId) }));

  app.get<{ Params: { ref: string } }>('/api/endpoints/:ref', {
    schema: { tags: ['endpoints'], summary: 'One endpoint', security, params: ref, response: { 200: ENDPOINT_VIEW, ...errors(...AUTH_ERRORS, 404, 422, 503) } },
  }, async (request) => app.router.endpoints.get(principalOf(request).userId, request.params.ref));

  app.patch<{ Params: { ref: string }; Body: UpdateBody }>('/api/endpoints/:ref', {
    preValidation: refuseUnknownFields(['name', 'public_key']),
    schema: {
      tags: ['endpoints'], summary: 'Rename an endpoint (a board: its device name) or set/clear its public key', security, params: ref,
      body: { type: 'object', minProperties: 1, additionalProperties: false, properties: { name, public_key: { ...publicKey, type: ['object', 'null'] } } },
      response: { 200: ENDPOINT_VIEW, ...errors(400, ...AUTH_ERRORS, 404, ...BODY_ERRORS, 503) },
    },
  }, async (request) => app.router.endpoints.update(principalOf(request).userId, request.params.ref, request.body));

  app.delete<{ Params: { ref: string } }>('/api/endpoints/:ref', {
    schema: {
      tags: ['endpoints'], summary: 'Delete an endpoint; its socket is closed (a board: the device, its queue and socket)', security, params: ref,
      response: { 200: object('Deleted', { status: { type: 'string', enum: ['deleted'] }, id: text }), ...errors(400, ...AUTH_ERRORS, 404, 422, 503) },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const id = await app.router.endpoints.delete(principal, request.params.ref);
    request.log.info({ event: 'endpoint_deleted', userId: principal.userId, endpoint: id }, 'endpoint deleted');
    return { status: 'deleted', id };
  });

  const entry = object('One routed frame: who, to whom, when, from where, what the relay did; metadata only, never a payload', {
    id: integer, at: timestamp, kind: { type: 'string', enum: ['command', 'message', 'ack', 'event', 'signal', 'session', 'pairing', 'credential'] }, from: nullableText, to: nullableText,
    status: { type: 'string', description: 'delivered, queued, stored, fanned_out, routed, done, or the refusal\'s error code' },
    meta: { type: 'object', additionalProperties: true, description: 'device_id, via (ws, http, sse), address, client_id, msgid, subject, event, sizes, …' },
  });
  app.get<{ Querystring: { endpoint?: string; limit?: number; before?: number } }>('/api/history', {
    schema: {
      tags: ['endpoints'], summary: 'Recent routed frames of an endpoint (or of the account), newest first, paged; commands to boards are the audit log', security,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          endpoint: { type: 'string', maxLength: 64, description: 'endpoint id, device id, uuid, or the ec_… id of a connection that has closed' },
          limit: { type: 'integer', minimum: 1, maximum: LIMITS.historyPageMax, default: 50 },
          before: { type: 'integer', minimum: 1, description: 'next_before of the previous page' },
        },
      },
      response: {
        200: object('Newest first', { entries: { type: 'array', items: entry }, next_before: { type: ['integer', 'null'], description: 'pass as `before` for the next page; null at the end' } }),
        ...errors(...AUTH_ERRORS, 404, 422, 503),
      },
    },
  }, async (request) => {
    const { userId } = principalOf(request);
    const { endpoint, before } = request.query;
    const limit = request.query.limit ?? 50;
    let endpointId: string | undefined;
    if (endpoint !== undefined) {
      // A connection-scoped endpoint is gone once its socket closed, but its rows are still the account's.
      endpointId = isConnectionEndpointId(endpoint) ? endpoint : (await app.router.endpoints.resolve(userId, endpoint))?.id;
      if (endpointId === undefined) throw new RelayError('ENDPOINT_NOT_FOUND', `No endpoint ${endpoint} in your account`);
    }
    const rows = app.store.listHistory(userId, { endpoint: endpointId, beforeId: before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      entries: page.map((row) => ({ id: row.id, at: new Date(row.at).toISOString(), kind: row.kind, from: row.fromEndpoint, to: row.toEndpoint, status: row.status, meta: row.meta })),
      next_before: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  });
};
