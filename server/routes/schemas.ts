/**
 * JSON schemas shared by the route definitions: the documented (`/docs`) request and response
 * shapes, the one error body, and the API-token security requirement. Response schemas list every
 * field the route sends and allow more (`additionalProperties`), so a field added later is never
 * silently dropped by the serializer.
 */
import { DEVICE_ID_PATTERN } from '../../shared/index';
import { ERROR_TABLE } from '../errors';

/** Either header carries an `sk-…` API token or a login JWT (plugins/require-user.ts). */
export const API_AUTH: { [scheme: string]: string[] }[] = [{ bearer: [] }, { apiToken: [] }];

const codesFor = (status: number) =>
  Object.entries(ERROR_TABLE).filter(([, entry]) => entry.http === status).map(([code, entry]) => ('wire' in entry ? entry.wire : code));

/** `{"error": CODE, "detail": text}` (errors.ts), with the codes this status can carry. */
function errorSchema(status: number, description: string) {
  return {
    description,
    type: 'object',
    required: ['error', 'detail'],
    additionalProperties: true,
    properties: {
      error: { type: 'string', description: `one of: ${codesFor(status).join(', ')}` },
      detail: { type: 'string', description: 'human-readable text (v1.0 wording where v1.0 had one)' },
      errors: {
        type: 'array',
        description: 'validation failures only: the pydantic v1 items v1.0 sent as its detail',
        items: {
          type: 'object',
          properties: { loc: { type: 'array', items: { type: ['string', 'number'] } }, msg: { type: 'string' }, type: { type: 'string' } },
        },
      },
    },
  } as const;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (for example an invalid packet field)',
  401: 'API token missing, invalid, revoked, or a JWT that expired (TOKEN_EXPIRED)',
  403: 'Refused: a limit of the account',
  404: 'Not found, or not yours (another account\'s device looks exactly like a missing one)',
  409: 'Conflict',
  410: 'Gone (a pull: your command expired before it reached the device, `expired`)',
  413: 'Request body larger than HTTP_BODY_BYTES, or a packet too large for a device',
  415: 'Not a JSON body (text/plain and form bodies are refused)',
  422: 'Validation failed: `detail` summarises, `errors` lists each field',
  429: 'Too many attempts (logins, failed tokens from this address), logins busy, or a full queue; see Retry-After',
  503: 'The database or the queue is temporarily unavailable (locked, full or read-only), or the relay is restarting; see Retry-After',
  504: 'A pull: the device got your command but never answered it (`undelivered`; it may have run)',
};

/** Response schemas for the given error statuses. */
export function errors(...statuses: number[]): Record<number, ReturnType<typeof errorSchema>> {
  return Object.fromEntries(statuses.map((status) => [status, errorSchema(status, ERROR_DESCRIPTIONS[status] ?? 'Error')]));
}

/** Errors every route with a JSON body can answer. */
export const BODY_ERRORS = [413, 415, 422] as const;
/** Errors every authenticated route can answer (429: too many failed tokens from this address). */
export const AUTH_ERRORS = [401, 429] as const;

/** A success body: the listed fields, all present. */
export function object(description: string, properties: Record<string, unknown>, required: string[] = Object.keys(properties)) {
  return { description, type: 'object', additionalProperties: true, required, properties } as const;
}

export const text = { type: 'string' } as const;
export const integer = { type: 'integer' } as const;
export const boolean = { type: 'boolean' } as const;
export const nullableText = { type: ['string', 'null'] } as const;
/** Naive ISO-8601 UTC timestamps, as v1.0 wrote them (`2026-11-22T07:40:39`). */
export const naiveTimestamp = { type: 'string', description: 'UTC, ISO-8601 without zone (v1.0 format)' } as const;
export const deviceIdSchema = { type: 'string', pattern: DEVICE_ID_PATTERN, description: '"WL" + the chip id in upper-case hex, e.g. WL35080814' } as const;
