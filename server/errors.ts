/**
 * The relay's one error table: stable code → HTTP status, WS close code (null = the socket stays
 * open after the error frame), and the v1.0 text where v1.0 defined one.
 */
export const ERROR_TABLE = {
  AUTH_REQUIRED: { http: 401, wsClose: 1008, message: 'API token required' },
  INVALID_TOKEN: { http: 401, wsClose: 1008, message: 'Invalid API token' },
  TOKEN_EXPIRED: { http: 401, wsClose: 1008, message: 'Token expired' },
  INVALID_CREDENTIALS: { http: 401, wsClose: null, message: 'Invalid credentials' },
  TOO_MANY_ATTEMPTS: { http: 429, wsClose: null, message: 'Too many attempts, try again later' },
  LOGIN_BUSY: { http: 429, wsClose: null, message: 'Too many logins in progress, try again in a moment' },
  USERNAME_TAKEN: { http: 409, wsClose: null, message: 'Username already exists' },
  DEVICE_NOT_FOUND: { http: 404, wsClose: 1008, message: 'Device not found or access denied' },
  DEVICE_TAKEN: { http: 409, wsClose: null, message: 'Device id is registered to another account' },
  DEVICE_LIMIT: { http: 403, wsClose: null, message: 'Device limit reached' },
  DEVICE_ID_MISMATCH: { http: 400, wsClose: 1008, message: 'Packet device_id does not match this connection' },
  TOKEN_NOT_FOUND: { http: 404, wsClose: null, message: 'Token not found' },
  TOKEN_LIMIT: { http: 403, wsClose: null, message: 'API token limit reached' },
  QUEUE_FULL: { http: 429, wsClose: null, message: 'Device queue is full', wire: 'queue_full' },
  QUEUE_UNAVAILABLE: { http: 503, wsClose: null, message: 'Command queue unavailable', wire: 'queue_unavailable' },
  COMMAND_EXPIRED: { http: 410, wsClose: null, message: 'Command expired before the device connected', wire: 'expired' },
  COMMAND_UNDELIVERED: { http: 504, wsClose: null, message: 'No reply from the device; it may or may not have run the command', wire: 'undelivered' },
  PACKET_TOO_LARGE: { http: 413, wsClose: null, message: 'Packet too large to forward to a device' },
  INVALID_JSON: { http: 400, wsClose: null, message: 'Failed to parse JSON' },
  INVALID_PACKET: { http: 400, wsClose: null, message: 'Invalid packet' },
  UNSUPPORTED_VERSION: { http: 400, wsClose: null, message: 'Protocol version must be 1.0' },
  BAD_REQUEST: { http: 400, wsClose: null, message: 'Bad request' },
  VALIDATION: { http: 422, wsClose: null, message: 'Validation error' },
  BODY_NOT_JSON: { http: 422, wsClose: null, message: 'Request body is not valid JSON' },
  BODY_TOO_LARGE: { http: 413, wsClose: 1009, message: 'Request body too large' },
  RATE_LIMITED: { http: 429, wsClose: 1008, message: 'Too many messages' },
  TOO_MANY_CONNECTIONS: { http: 429, wsClose: 1008, message: 'Too many open connections' },
  NOT_FOUND: { http: 404, wsClose: null, message: 'Not Found' },
  METHOD_NOT_ALLOWED: { http: 405, wsClose: null, message: 'Method Not Allowed' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, wsClose: null, message: 'Unsupported Media Type: send application/json' },
  ORIGIN_REFUSED: { http: 403, wsClose: null, message: 'Origin not allowed' },
  INVALID_ID: { http: 400, wsClose: null, message: 'Invalid device or client id' },
  DATABASE_UNAVAILABLE: { http: 503, wsClose: 1013, message: 'Database temporarily unavailable' },
  DATABASE_READ_ONLY: { http: 503, wsClose: 1013, message: 'Database is read-only; nothing can be stored' },
  SERVICE_RESTART: { http: 503, wsClose: 1012, message: 'Relay restarting' },
  REPLACED: { http: 409, wsClose: 4001, message: 'Replaced by a newer connection' },
  SLOW_CONSUMER: { http: 503, wsClose: 1013, message: 'Peer is not reading' },
  SERVICE_UNAVAILABLE: { http: 503, wsClose: 1013, message: 'Try again later' },

  DEVICE_DELETED: { http: 410, wsClose: 4004, message: 'Device deleted' },

  // The routing core (endpoints, events, messages, signaling; issue 13). Another account's
  // endpoint is ENDPOINT_NOT_FOUND, exactly like a missing one.
  ENDPOINT_NOT_FOUND: { http: 404, wsClose: null, message: 'Endpoint not found', wire: 'endpoint_not_found' },
  ENDPOINT_DELETED: { http: 410, wsClose: 4004, message: 'Endpoint deleted', wire: 'endpoint_deleted' },
  ENDPOINT_LIMIT: { http: 403, wsClose: null, message: 'Endpoint limit reached', wire: 'endpoint_limit' },
  UUID_TAKEN: { http: 409, wsClose: null, message: 'Another endpoint of this account has that uuid', wire: 'uuid_taken' },
  TARGET_OFFLINE: { http: 409, wsClose: null, message: 'The target endpoint is not connected', wire: 'target_offline' },
  UNSUPPORTED_TARGET: { http: 400, wsClose: null, message: 'That endpoint cannot receive this frame', wire: 'unsupported_target' },
  FORGED_FROM: { http: 403, wsClose: null, message: '`from` is not the endpoint of this connection', wire: 'forged_from' },
  INVALID_FRAME: { http: 400, wsClose: null, message: 'Invalid frame', wire: 'invalid_frame' },
  UNKNOWN_TYPE: { http: 400, wsClose: null, message: 'Unknown frame type', wire: 'unknown_type' },
  FRAME_TOO_LARGE: { http: 413, wsClose: null, message: 'Frame too large', wire: 'frame_too_large' },
  MAILBOX_FULL: { http: 429, wsClose: null, message: 'The target endpoint has too many stored messages', wire: 'mailbox_full' },
  UNKNOWN_MSGID: { http: 404, wsClose: null, message: 'No message with that msgid is waiting for your ack', wire: 'unknown_msgid' },
  SUBSCRIPTION_LIMIT: { http: 429, wsClose: null, message: 'Too many subscriptions on this connection', wire: 'subscription_limit' },
  TOKEN_REVOKED: { http: 401, wsClose: 1008, message: 'Token revoked' },

  // Login sessions and pairing (issue 14).
  REFRESH_TOKEN_INVALID: { http: 401, wsClose: null, message: 'Refresh token invalid or expired; log in again' },
  REFRESH_TOKEN_REUSED: { http: 401, wsClose: null, message: 'Refresh token already used; the session was revoked, log in again' },
  SESSION_NOT_FOUND: { http: 404, wsClose: null, message: 'Session not found' },
  SESSION_REVOKED: { http: 401, wsClose: 1008, message: 'Session revoked' },
  /** Every failed pairing code (wrong, expired, used, burned, throttled) gets this one answer. */
  PAIRING_CODE_INVALID: { http: 400, wsClose: null, message: 'Invalid or expired code', wire: 'invalid_code' },
  PAIRING_NOT_FOUND: { http: 404, wsClose: null, message: 'Pairing not found', wire: 'pairing_not_found' },
  PAIRING_NEEDS_ENDPOINT: { http: 400, wsClose: null, message: 'Only registered endpoints can pair; register this client as an endpoint first', wire: 'pairing_needs_endpoint' },
  PAIRING_CODE_LIMIT: { http: 429, wsClose: null, message: 'Too many pairing codes waiting; use one or wait for them to expire', wire: 'code_limit' },
  /** The wording of issue 14: `{"error": "no paired host"}`. */
  NO_PAIRED_HOST: { http: 409, wsClose: null, message: 'This endpoint has no paired host; pair it or name a target with `to`', wire: 'no paired host' },
  // Claiming boards and per-device credentials (issue 14). Every way a claim code can fail (wrong,
  // expired, used, burned) is INVALID_CLAIM_CODE, so a guess learns nothing.
  INVALID_CLAIM_CODE: { http: 400, wsClose: null, message: 'Invalid or expired claim code' },
  CREDENTIAL_REVOKED: { http: 401, wsClose: 1008, message: 'Device credential revoked' },
  CREDENTIAL_NOT_FOUND: { http: 404, wsClose: null, message: 'This device has no credential' },
  CLAIM_TIMEOUT: { http: 408, wsClose: 4008, message: 'Claim code not used in time; connect again for a new one' },
  INTERNAL: { http: 500, wsClose: 1011, message: 'Internal Server Error' },
} as const;

export type RelayErrorCode = keyof typeof ERROR_TABLE;

/** The code as clients see it: v1.0 codes are upper case; our queue codes are `queue_full`-style. */
export function wireCode(code: RelayErrorCode): string {
  const entry = ERROR_TABLE[code];
  return 'wire' in entry ? entry.wire : code;
}

/** An expected, client-visible failure. `detail` replaces the table message in the reply. */
export class RelayError extends Error {
  readonly code: RelayErrorCode;
  /** What goes on the wire as `error`. */
  readonly wire: string;
  readonly status: number;
  readonly detail: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(code: RelayErrorCode, detail?: string, retryAfterSeconds?: number) {
    const entry = ERROR_TABLE[code];
    super(detail ?? entry.message);
    this.name = 'RelayError';
    this.code = code;
    this.wire = wireCode(code);
    this.status = entry.http;
    this.detail = detail ?? entry.message;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isRelayError(value: unknown): value is RelayError {
  return value instanceof RelayError;
}

/**
 * The retryable code for a failed SQLite call (F9 locked, F10 full, read-only), or null when the
 * error is not one: those are bugs and stay 500.
 */
export function databaseErrorCode(error: unknown): 'DATABASE_UNAVAILABLE' | 'DATABASE_READ_ONLY' | null {
  // PostgreSQL (issue 15): store/postgres/sync-client.ts classifies its own errors.
  const availability = (error as { availability?: unknown } | null)?.availability;
  if (availability === 'read_only') return 'DATABASE_READ_ONLY';
  if (availability === 'unavailable') return 'DATABASE_UNAVAILABLE';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code.startsWith('SQLITE_READONLY')) return 'DATABASE_READ_ONLY';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL') return 'DATABASE_UNAVAILABLE';
  return null;
}

/** The WS close code the table assigns to `code` (1011 when the table says the socket stays open). */
export function closeCodeFor(code: RelayErrorCode): number {
  return ERROR_TABLE[code].wsClose ?? 1011;
}

/**
 * The one JSON error body of every HTTP answer (and refused WebSocket upgrade):
 * `{"error": CODE, "detail": text}`; `detail` is v1.0's text where v1.0 had one. Validation
 * failures add `errors`, the pydantic-v1 items (`loc`, `msg`, `type`) v1.0 sent as its detail.
 */
export interface ErrorBody {
  error: string;
  detail: string;
  errors?: { loc: (string | number)[]; msg: string; type: string }[];
}

export function errorBody(code: RelayErrorCode, detail?: string): ErrorBody {
  return { error: wireCode(code), detail: detail ?? ERROR_TABLE[code].message };
}

/** The v1.0 WS error frame: `{"status":"error","error":CODE,"message":...}`. */
export function wsErrorFrame(code: string, message?: string): string {
  return JSON.stringify(message === undefined ? { status: 'error', error: code } : { status: 'error', error: code, message });
}

/**
 * The error frame of the routing protocol (issue 13): `{"type":"error","error":CODE,"detail":text,…}`,
 * plus what the failed frame was about (`id`, `msgid`, `target`, `event`), so a client with several
 * frames in flight can tell which one failed. v1.0 packets keep wsErrorFrame.
 */
export function routedErrorFrame(code: RelayErrorCode, detail?: string, context: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'error', error: wireCode(code), detail: detail ?? ERROR_TABLE[code].message, ...context });
}
