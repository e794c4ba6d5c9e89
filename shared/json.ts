import { ErrorCodes, ProtocolError, type ErrorCode } from './errors';

export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_DEPTH = 32;

/** Rejects prototype-poisoning keys and absurd nesting anywhere in a parsed JSON value. */
function assertSafe(value: unknown, depth: number, code: ErrorCode): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_DEPTH) throw new ProtocolError(code, 'JSON nested too deeply');
  if (Array.isArray(value)) {
    for (const item of value) assertSafe(item, depth + 1, code);
    return;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw new ProtocolError(code, 'JSON contains a __proto__ key');
    const child = (value as JsonObject)[key];
    if (key === 'constructor' && isPlainObject(child) && Object.prototype.hasOwnProperty.call(child, 'prototype')) {
      throw new ProtocolError(code, 'JSON contains constructor.prototype');
    }
    assertSafe(child, depth + 1, code);
  }
}

/** JSON.parse that returns only plain objects and raises `code` (a v1.0 error string) otherwise. */
export function parseJsonObject(text: string, code: ErrorCode = ErrorCodes.INVALID_JSON): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError(code, 'not valid JSON');
  }
  if (!isPlainObject(value)) throw new ProtocolError(code, 'JSON is not an object');
  assertSafe(value, 0, code);
  return value;
}
