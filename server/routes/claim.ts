import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../plugins/fastify-types';
import type { DeviceCredentialRecord } from '../store/types';
import { API_AUTH, AUTH_ERRORS, BODY_ERRORS, boolean, deviceIdSchema, errors, integer, nullableText, object, text } from './schemas';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const describeCredential = (record: DeviceCredentialRecord) => ({ prefix: record.prefix, created_at: iso(record.createdAt), last_used_at: iso(record.lastUsedAt) });
const credentialSchema = {
  type: ['object', 'null'], description: 'null: the board has no credential of its own (it uses an account token: re-claim to restrict)',
  properties: { prefix: { type: 'string', description: 'the first characters, for recognising it' }, created_at: text, last_used_at: nullableText },
} as const;

/**
 * Claiming boards with a code and managing their credentials (issue 14). Account APIs: an API
 * token or JWT, never a device credential (which is refused here as INVALID_TOKEN, like any
 * unknown token).
 */
export const claimRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);
  const limitOf = (userId: number) => app.store.findUserById(userId)?.devicesLimit ?? app.relayConfig.deviceLimit;

  app.post<{ Body: { code: string; name?: string } }>('/api/claim', {
    schema: {
      tags: ['claim'],
      summary: 'Claim a board with the 6-digit code it shows; the relay hands it its own credential',
      description: 'The board (connected to /ws/claim/{device_id}) shows a code on its serial console and setup page. The account that enters it owns the board '
        + '(a new device with its board endpoint, or an existing one of yours: a re-claim, whose old credential is revoked and its socket closed); the board gets its '
        + 'credential over its claim socket, shown nowhere else, and reconnects as the device. Every failure of the code itself (wrong, expired, used, burned) is '
        + 'INVALID_CLAIM_CODE. Attempts per minute are bounded per account (CLAIM_ATTEMPTS_PER_ACCOUNT), per address (CLAIM_ATTEMPTS_PER_IP) and on the relay '
        + '(CLAIM_ATTEMPTS_PER_MINUTE): 429 with Retry-After, before the code is looked at; a live code outlasts CLAIM_CODE_MAX_FAILURES wrong claims relay-wide, then its board gets a new one.',
      security: API_AUTH,
      body: {
        type: 'object', required: ['code'],
        properties: { code: { type: 'string', minLength: 1, maxLength: 16, description: '6 digits; spaces and dashes are ignored' }, name: { type: 'string', maxLength: 64 } },
      },
      response: {
        200: object('Claimed', {
          status: { type: 'string', enum: ['claimed'] }, device_id: text, name: text, endpoint: text,
          created: { ...boolean, description: 'false: the board was already yours (a re-claim)' }, credential_prefix: text,
        }),
        ...errors(400, ...AUTH_ERRORS, 403, 409, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const result = await app.claims.claim(principal, request.body.code, request.body.name ?? '', request.ip, limitOf(principal.userId));
    return {
      status: 'claimed', device_id: result.deviceId, name: result.name, endpoint: result.endpointId, created: result.created, credential_prefix: result.credentialPrefix,
    };
  });

  app.get('/api/credentials', {
    schema: {
      tags: ['claim'], summary: 'Your devices and how each authenticates: its own credential (prefix only) or an account token', security: API_AUTH,
      response: {
        200: object('Your devices', {
          devices: {
            type: 'array',
            items: object('A device', {
              device_id: text, name: text, online: boolean,
              uses_account_token: { ...boolean, description: 'no credential of its own: it can only be using an account API token (re-claim to restrict)' },
              credential: credentialSchema,
            }),
          },
        }),
        ...errors(...AUTH_ERRORS, 503),
      },
    },
  }, async (request) => {
    const { userId } = principalOf(request);
    const credentials = new Map(app.credentials.list(userId).map((record) => [record.deviceId, record]));
    return {
      devices: app.store.listDevices(userId).map((device) => {
        const record = credentials.get(device.deviceId);
        return {
          device_id: device.deviceId, name: device.name, online: app.hub.deviceSocket(device.deviceId) !== undefined,
          uses_account_token: record === undefined, credential: record ? describeCredential(record) : null,
        };
      }),
    };
  });

  app.delete<{ Params: { device_id: string } }>('/api/devices/:device_id/credential', {
    schema: {
      tags: ['claim'],
      summary: 'Revoke a board\'s credential: its socket is told CREDENTIAL_REVOKED and closed at once; the board claims again',
      description: 'Rotating a credential is this plus a claim: the board, told CREDENTIAL_REVOKED, forgets its credential and shows a new claim code; '
        + 'enter it (POST /api/claim) and the board gets a new credential. The relay never sends a credential anywhere but a claim socket whose code its owner entered.',
      security: API_AUTH,
      params: { type: 'object', required: ['device_id'], properties: { device_id: deviceIdSchema } },
      response: {
        200: object('Revoked', { status: { type: 'string', enum: ['revoked'] }, device_id: text, sockets_closed: integer }),
        ...errors(...AUTH_ERRORS, 404, 422, 503),
      },
    },
  }, async (request) => {
    const { userId } = principalOf(request);
    const { socketsClosed } = app.credentials.revoke(userId, request.params.device_id, request.ip);
    request.log.info({ event: 'credential_revoked', userId, deviceId: request.params.device_id, socketsClosed }, 'device credential revoked');
    return { status: 'revoked', device_id: request.params.device_id, sockets_closed: socketsClosed };
  });
};
