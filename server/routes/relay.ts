import type { FastifyPluginAsync } from 'fastify';
import { ERROR_TABLE, RelayError, wireCode } from '../errors';
import { LIMITS } from '../limits';
import { principalOf } from '../plugins/fastify-types';
import { validatePacket } from '../relay/packets';
import { requesterOf } from '../relay/requesters';
import { naiveIso } from '../time';
import { Hangup } from './hangup';
import { API_AUTH, AUTH_ERRORS, BODY_ERRORS, boolean, errors, integer, naiveTimestamp, object, text as textField } from './schemas';

const security = API_AUTH;
const text = { type: 'string', maxLength: 2048 } as const;

interface PushBody { device_id: string; payload: string; signature: string; version?: string; direction?: string; request_counter?: number | null; client_id?: string }
interface PullBody { device_id: string; direction?: string; wait?: number; client_id?: string }

/** v1.0 HTTP client path: push a command, long-poll for responses (spec 4.5). */
export const relayRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);

  app.post<{ Body: PushBody }>('/api/push', {
    schema: {
      tags: ['relay'], summary: 'Send a v1.0 packet to your device (forwarded live or queued durably)', security,
      body: {
        type: 'object', required: ['device_id', 'payload', 'signature'],
        properties: {
          device_id: text, payload: text, signature: text, version: { type: ['string', 'number'] }, direction: { type: 'string' },
          client_id: { type: 'string', description: 'Sent by the v1.0 CLI; a pull with the same client_id gets this push\'s reply' },
        },
      },
      response: {
        200: object('Forwarded to the device socket, or stored until it connects (then `queued`)', {
          status: { type: 'string', enum: ['ok'] }, device_id: textField, delivered_via_ws: boolean, queued: boolean, messages: { type: 'null' }, count: integer,
        }),
        ...errors(400, ...AUTH_ERRORS, 404, ...BODY_ERRORS, 429, 503),
      },
    },
  }, async (request) => {
    // Only commands travel this way; v1.0 pushed `to_client` packets at devices too (B12).
    if (request.body.direction !== undefined && request.body.direction !== 'to_device') {
      throw new RelayError('BAD_REQUEST', 'direction must be to_device');
    }
    const packet = validatePacket(request.body, 'Missing', true);
    // The reply goes to this client's pull, not to another client's (item 6).
    const requester = requesterOf(request, request.body.client_id);
    const result = await app.router.push(principalOf(request), packet, requester);
    return { status: 'ok', device_id: packet.deviceId, delivered_via_ws: result.delivered, queued: result.queued, messages: null, count: 0 };
  });

  app.post<{ Body: PullBody; Querystring: { wait?: number } }>('/api/pull', {
    config: { longPoll: true },
    schema: {
      tags: ['relay'], summary: 'Long-poll for your device\'s responses (wait in body or ?wait=, capped at 30 s)', security,
      querystring: { type: 'object', properties: { wait: { type: 'number', minimum: 0 } } },
      body: {
        type: 'object', required: ['device_id'],
        properties: {
          device_id: text, direction: { type: 'string' }, wait: { type: 'number', minimum: 0 }, payload: text, signature: text, version: {},
          client_id: { type: 'string', description: 'Optional: take the replies of pushes sent with this client_id' },
        },
      },
      response: {
        200: object('The device\'s responses, oldest first; each is returned once', {
          status: { type: 'string', enum: ['ok'] }, device_id: textField, delivered_via_ws: boolean, count: integer,
          messages: {
            type: 'array',
            items: object('A v1.0 response message (`packet` repeats `payload`)', {
              device_id: textField, message_type: { type: 'string', enum: ['response'] }, packet: textField, payload: textField, signature: textField,
              direction: { type: 'string', enum: ['to_client'] }, timestamp: naiveTimestamp,
            }),
          },
        }),
        // 410/504: this client's command ended without a reply (`expired` / `undelivered`, with its signature).
        ...errors(400, ...AUTH_ERRORS, 404, 410, ...BODY_ERRORS, 503, 504),
      },
    },
  }, async (request, reply) => {
    if (request.body.direction !== undefined && request.body.direction !== 'to_client') {
      throw new RelayError('BAD_REQUEST', 'direction must be to_client');
    }
    const waitSeconds = request.body.wait ?? request.query.wait ?? 0;
    const waitMs = Math.min(waitSeconds * 1000, LIMITS.pullMaxWaitMs);
    const found = await app.relay.pull(principalOf(request), request.body.device_id, waitMs, requesterOf(request, request.body.client_id), new Hangup(reply.raw));
    if (found.kind === 'ended') {
      // This client's command ended without a reply (item 11): say so instead of letting it time out.
      const { ended } = found;
      return reply.code(ERROR_TABLE[ended.code].http).send({ error: wireCode(ended.code), detail: ended.detail, device_id: ended.deviceId, signature: ended.signature });
    }
    const responses = found.replies;
    return {
      status: 'ok',
      device_id: request.body.device_id,
      delivered_via_ws: false,
      messages: responses.map((r) => ({
        device_id: r.deviceId, message_type: 'response', packet: r.payload, payload: r.payload, signature: r.signature,
        direction: 'to_client', timestamp: naiveIso(r.createdAt),
      })),
      count: responses.length,
    };
  });
};
