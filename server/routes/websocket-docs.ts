/**
 * The WebSocket part of the OpenAPI description. The two endpoints are not Fastify routes (ws/
 * handles the upgrade), so they are described here, next to the HTTP routes: the upgrade as a GET
 * with its refusals, the frames each side sends as component schemas, listed per endpoint in
 * `x-websocket-frames`, and the close codes from the one error table.
 */
import { DEVICE_ID_PATTERN } from '../../shared/index';
import { ERROR_TABLE, closeCodeFor } from '../errors';
import { LIMITS } from '../limits';
import { CLIENT_ID_PATTERN } from '../relay/packets';
import { BOARD_TEXT, ROUTING_FRAME_SCHEMAS, ROUTING_TEXT } from './routing-docs';
import { errors } from './schemas';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const hex = (description: string) => ({ type: 'string', pattern: '^[0-9a-fA-F]+$', description });

export const WS_FRAME_SCHEMAS = {
  WsAuthFrame: {
    type: 'object', required: ['type', 'token'], description: `First frame, within ${LIMITS.wsAuthTimeoutMs / 1000} s, unless an Authorization: Bearer or X-API-Token upgrade header carried the token`,
    properties: { type: { type: 'string', enum: ['auth'] }, token: { type: 'string', description: '`sk-…` API token or login JWT' } },
  },
  WsPacket: {
    type: 'object', required: ['device_id', 'payload', 'signature'], description: 'A sealed v1.0 packet; the relay routes it by device_id and never opens it',
    properties: {
      device_id: { type: 'string', pattern: DEVICE_ID_PATTERN },
      payload: hex('ChaCha20 ciphertext with its nonce (v1.0 layout)'),
      signature: hex('HMAC-SHA256 of payload, 64 hex characters'),
      request_counter: { type: ['integer', 'null'], description: 'sent by devices with their replies' },
      version: { type: 'string', enum: ['1.0'] },
    },
  },
  WsDeviceWelcome: {
    type: 'object', description: 'After authentication on /ws/{device_id}; queued commands follow it',
    properties: {
      type: { type: 'string', enum: ['welcome'] }, status: { type: 'string', enum: ['connected'] }, device_id: { type: 'string' },
      protocol_version: { type: 'string', enum: ['1.0'] }, message: { type: 'string', enum: ['Device WebSocket connection established'] },
    },
  },
  WsClientWelcome: {
    type: 'object', description: 'After authentication on /ws/client/{client_id}',
    properties: {
      type: { type: 'string', enum: ['welcome'] }, status: { type: 'string', enum: ['connected'] }, client_id: { type: 'string' },
      protocol_version: { type: 'string', enum: ['1.0'] }, message: { type: 'string', enum: ['Client WebSocket connection established'] },
    },
  },
  WsAck: {
    type: 'object', description: 'Answer to every packet a client sends; the device\'s reply arrives separately, before or after it',
    properties: {
      status: { type: 'string', enum: ['success'] }, device_id: { type: 'string' }, delivered: { type: 'boolean' }, queued: { type: 'boolean' },
      message: { type: 'string', enum: ['Delivered to device', 'Device offline, queued'] },
    },
  },
  WsErrorFrame: {
    type: 'object', required: ['status', 'error'], description: 'v1.0 error frame; the close codes below say which ones end the socket',
    properties: {
      status: { type: 'string', enum: ['error'] },
      error: { type: 'string', description: 'AUTH_REQUIRED, INVALID_TOKEN, TOKEN_EXPIRED, TOO_MANY_ATTEMPTS, CREDENTIAL_REVOKED (device socket: the credential was revoked; the socket closes 1008 and the board claims again), INVALID_JSON, INVALID_PACKET, UNSUPPORTED_VERSION, DEVICE_NOT_FOUND, DEVICE_ID_MISMATCH, RATE_LIMITED, TOO_MANY_CONNECTIONS, queue_full, queue_unavailable, expired, undelivered, …' },
      message: { type: 'string' },
      device_id: { type: 'string', description: 'on `expired` / `undelivered`: the device the command was for' },
      signature: { type: 'string', description: 'on `expired` (never reached the device) / `undelivered` (no reply came; it may have run): the signature of that command packet' },
    },
  },
  WsClaimCode: {
    type: 'object', required: ['type', 'code', 'expires_in_seconds'],
    description: `Claim socket, at once and again whenever the code changes (expired after CLAIM_CODE_TTL_SECONDS, default ${LIMITS.claimCodeTtlMs / 1000}, or burned after CLAIM_CODE_MAX_FAILURES wrong claims relay-wide): the board shows it; its owner enters it (POST /api/claim)`,
    properties: {
      type: { type: 'string', enum: ['claim_code'] }, code: { type: 'string', pattern: '^[0-9]{6}$', description: 'from the CSPRNG, single use' },
      expires_in_seconds: { type: 'integer', minimum: 1 },
    },
  },
  WsCredential: {
    type: 'object', required: ['type', 'credential'],
    description: 'Claim socket, once the owner entered the code; the relay then closes the socket (1000). The board stores it and opens /ws/{device_id} with it (Authorization: Bearer, or the auth frame). Shown nowhere else; the relay keeps only its hash',
    properties: { type: { type: 'string', enum: ['credential'] }, credential: { type: 'string', pattern: '^dc_[A-Za-z0-9_-]{43}$' } },
  },
  ...ROUTING_FRAME_SCHEMAS,
} as const;

function closeCodes(): string {
  const rows = Object.entries(ERROR_TABLE)
    .filter(([, entry]) => entry.wsClose !== null)
    .map(([code, entry]) => `| ${entry.wsClose} | ${code} | ${entry.message} |`);
  return ['| close code | error | meaning |', '|---|---|---|', '| 1009 | (frame) | a frame larger than WS_MAX_FRAME_BYTES |', ...rows].join('\n');
}

const AUTH_TEXT = 'Authenticate with an `Authorization: Bearer <token>` or `X-API-Token` upgrade header, or with a first frame `{"type":"auth","token":…}`. '
  + 'Browsers must send an Origin equal to the relay\'s own origin or listed in ALLOWED_ORIGINS; devices and CLIs may send none. '
  + `Ping every ${LIMITS.wsPingIntervalMs / 1000} s; a peer that misses a pong is dropped. `
  + `Slow readers: more than WS_SEND_BUFFER_BYTES (${LIMITS.wsMaxBufferedBytes} bytes) unsent, or nothing drained for ${LIMITS.wsDrainTimeoutMs / 1000} s, closes the socket 1013; the others are not slowed.`;

/** OpenAPI path items for the two WebSocket endpoints. */
export function websocketPaths(): Record<string, unknown> {
  const refusals = errors(400, 403, 404, 429, 503);
  const upgrade = (summary: string, description: string, sends: string[], receives: string[], parameter: Record<string, unknown>) => ({
    get: {
      tags: ['websocket'], summary, description: `${description}\n\n${AUTH_TEXT}\n\n${closeCodes()}`,
      security: [{ bearer: [] }, { apiToken: [] }, {}],
      parameters: [
        parameter,
        { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', enum: ['websocket'] } },
      ],
      responses: {
        101: { description: 'Switching Protocols; from here on frames: see x-websocket-frames' },
        ...Object.fromEntries(Object.entries(refusals).map(([status, schema]) => [status, { description: schema.description, content: { 'application/json': { schema } } }])),
      },
      'x-websocket-frames': { clientSends: sends.map(ref), relaySends: receives.map(ref) },
    },
  });
  return {
    '/ws/{device_id}': upgrade(
      'Device socket (the board)',
      'One socket per device, bound to the device id and its owner. A claimed board authenticates with its own credential (`dc_…`, from WsCredential), which opens this socket of this device only '
        + '(anywhere else it is INVALID_TOKEN); a v1.0 board uses its owner\'s API token. When the owner revokes the credential (or re-claims the board) the socket gets `{"status":"error","error":"CREDENTIAL_REVOKED"}` and is closed 1008 within a second. The relay forwards commands as WsPacket frames '
        + `(at most 1 KiB each, for the ESP8266) and treats every WsPacket the device sends as the reply to the oldest command in flight. A frame above ${LIMITS.wsMaxPayloadBytes} bytes (WS_MAX_FRAME_BYTES) closes it 1009.\n\n${BOARD_TEXT}`,
      ['WsAuthFrame', 'WsPacket', 'WsPublishEvent', 'WsPairRequest', 'WsPing'], ['WsDeviceWelcome', 'WsPacket', 'WsErrorFrame', 'WsPong', 'WsPairCode', 'WsPaired', 'WsRoutedError'],
      { name: 'device_id', in: 'path', required: true, schema: { type: 'string', pattern: DEVICE_ID_PATTERN } },
    ),
    '/ws/claim/{device_id}': {
      get: {
        tags: ['websocket'],
        summary: 'Claim socket (a board with no credential and no account token)',
        description: 'No authentication. The relay sends WsClaimCode at once; when the account that enters the code claims the board (POST /api/claim), it sends WsCredential and closes the socket 1000. '
          + `Bounds: CLAIM_SOCKETS_PER_IP (default ${LIMITS.claimSocketsPerIp}; 429 above) and CLAIM_SOCKETS_TOTAL (default ${LIMITS.claimSocketsTotal}; 503 above) open at once; `
          + `an unclaimed socket is closed ${closeCodeFor('CLAIM_TIMEOUT')} after CLAIM_SOCKET_TIMEOUT_SECONDS (default ${LIMITS.claimSocketTimeoutMs / 1000}); the board takes no frames: more than ${LIMITS.claimSocketFrames} close it 1008, `
          + `one above ${LIMITS.claimSocketFrameBytes} bytes closes it 1009. The code is never logged by the relay. Ping every ${LIMITS.wsPingIntervalMs / 1000} s.`,
        parameters: [
          { name: 'device_id', in: 'path', required: true, schema: { type: 'string', pattern: DEVICE_ID_PATTERN } },
          { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', enum: ['websocket'] } },
        ],
        responses: {
          101: { description: 'Switching Protocols; from here on frames: see x-websocket-frames' },
          ...Object.fromEntries(Object.entries(errors(400, 403, 404, 429, 503)).map(([status, schema]) => [status, { description: schema.description, content: { 'application/json': { schema } } }])),
        },
        'x-websocket-frames': { clientSends: [], relaySends: [ref('WsClaimCode'), ref('WsCredential')] },
      },
    },
    '/ws/client/{client_id}': upgrade(
      'Client socket (CLI, app)',
      'Send WsPacket commands for your devices; each gets a WsAck, and the device\'s reply arrives as a bare WsPacket (in either order). '
        + 'A command for an offline device is stored durably and delivered when it connects (QUEUE_TTL_SECONDS). '
        + `A frame above ${LIMITS.wsMaxPayloadBytes} bytes (WS_MAX_FRAME_BYTES) is answered frame_too_large and the socket stays usable; above ${LIMITS.wsClientFrameCeilingBytes} (WS_CLIENT_FRAME_CEILING_BYTES) it is closed 1009.\n\n${ROUTING_TEXT}`,
      ['WsAuthFrame', 'WsPacket', 'WsSubscribe', 'WsPublishEvent', 'WsSendMessage', 'WsMessageAck', 'WsCommand', 'WsSignal', 'WsPairRequest', 'WsPairConfirm', 'WsPing'],
      ['WsClientWelcome', 'WsAck', 'WsPacket', 'WsErrorFrame', 'WsSubscribed', 'WsPresence', 'WsEvent', 'WsMessage', 'WsReceipt', 'WsRoutedAck', 'WsResponse',
        'WsSignalDelivery', 'WsDelivered', 'WsPairCode', 'WsPaired', 'WsPong', 'WsRoutedError'],
      { name: 'client_id', in: 'path', required: true, schema: { type: 'string', pattern: CLIENT_ID_PATTERN } },
    ),
  };
}
