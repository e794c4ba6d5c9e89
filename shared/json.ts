import { ErrorCodes, ProtocolError, type ErrorCode } from './errors';

export type JsonObject = { [key: string]: unknown };

/**
 * Freezes a table and everything in it. Module-level tables must be: on a board, a preloaded
 * object that is not frozen keeps a RAM pointer for changes, and the linker warns about each one.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_DEPTH = 32;

/**
 * Rejects prototype-poisoning keys and absurd nesting anywhere in a parsed JSON value. Walks with
 * its own list instead of recursing: on a board it runs deep in a request, where each call frame
 * counts against a small stack.
 */
function assertSafe(root: unknown, code: ErrorCode): void {
  const pending: Array<[unknown, number]> = [[root, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DEPTH) throw new ProtocolError(code, 'JSON nested too deeply');
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) pending.push([value[i], depth + 1]);
      continue;
    }
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (key === '__proto__') throw new ProtocolError(code, 'JSON contains a __proto__ key');
      const child = (value as JsonObject)[key];
      if (key === 'constructor' && isPlainObject(child) && Object.prototype.hasOwnProperty.call(child, 'prototype')) {
        throw new ProtocolError(code, 'JSON contains constructor.prototype');
      }
      pending.push([child, depth + 1]);
    }
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
  assertSafe(value, code);
  return value;
}
