/**
 * Inner reply objects in v1.0 field order (spec 2.3): `status`, command fields, `request_id` last.
 * Objects keep insertion order through JSON.stringify, which is what makes the bytes match.
 */
import type { JsonObject } from '../shared/index';

export type Transport = 'tcp' | 'ws';

/** v1.0 echoes the request id; when absent TCP answers "unknown" and WS answers null (spec 2.2). */
export function echoRequestId(requestId: unknown, transport: Transport): unknown {
  if (requestId === undefined) return transport === 'tcp' ? 'unknown' : null;
  return requestId;
}

export function success(fields: JsonObject): JsonObject {
  return { status: 'success', ...fields };
}

export function failure(code: string, details: JsonObject = {}): JsonObject {
  return { status: 'error', error: code, ...details };
}

/** Appends `request_id` as the last key; a `request_id` already in `body` is replaced and moved last. */
export function finishReply(body: JsonObject, requestId: unknown): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(body)) if (key !== 'request_id') out[key] = body[key];
  out.request_id = requestId;
  return out;
}
