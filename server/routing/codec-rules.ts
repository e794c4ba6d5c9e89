/** Small validation rules shared by the codec and the envelope (no I/O). */
import { isDeviceId, type JsonObject } from '../../shared/index';
import { RelayError, type RelayErrorCode } from '../errors';
import { isConnectionEndpointId, isEndpointId, isUuid } from '../ids';

/** A refused frame: the error code, a precise detail, and what the frame was about (id, msgid, target…). */
export class FrameError extends RelayError {
  constructor(code: RelayErrorCode, detail: string, readonly context: Record<string, unknown> = {}) {
    super(code, detail);
    this.name = 'FrameError';
  }
}

/** Correlation ids, msgids, conversation ids. */
export const TOKEN_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const CORRELATION_MAX = 64;

/** Anything a `to`/`target_device_id` may name: an endpoint id, a connection's endpoint id, a device id or a uuid. */
export function isTargetRef(value: unknown): value is string {
  return typeof value === 'string' && (isEndpointId(value) || isConnectionEndpointId(value) || isDeviceId(value) || isUuid(value));
}

/** Refuses keys outside `allowed`, naming them (a typo is an error, not a silently dropped field). */
export function checkKeys(frame: JsonObject, allowed: readonly string[], context: Record<string, unknown> = {}): void {
  const extra = Object.keys(frame).filter((key) => !allowed.includes(key));
  if (extra.length > 0) {
    throw new FrameError('INVALID_FRAME', `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `\`${k.slice(0, 40)}\``).join(', ')} in a ${String(frame.type)} frame`, context);
  }
}

export function optionalString(frame: JsonObject, key: string, max: number, context: Record<string, unknown> = {}): string | null {
  const value = frame[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) throw new FrameError('INVALID_FRAME', `\`${key}\` must be a string of at most ${max} characters`, context);
  return value;
}

/** The optional client correlation `id`, echoed on acks and errors. */
export function correlationId(frame: JsonObject): string | undefined {
  const id = frame.id;
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || id.length > CORRELATION_MAX || !TOKEN_RE.test(id)) {
    throw new FrameError('INVALID_FRAME', `\`id\` must be 1 to ${CORRELATION_MAX} characters of A-Z a-z 0-9 _ . : -`);
  }
  return id;
}
