import { MAX_PAYLOAD_HEX, PROTOCOL_VERSION, SIGNATURE_HEX, isDeviceId, isPlainObject, parseJsonObject, type JsonObject } from '../../shared/index';
import { RelayError } from '../errors';
import { LIMITS } from '../limits';

/** An outer v1.0 packet as the relay sees it: routed, never opened. */
export interface RelayPacket {
  deviceId: string;
  payload: string;
  signature: string;
  requestCounter: number | null;
}

export const CLIENT_ID_PATTERN = `^[A-Za-z0-9_.:-]{1,${LIMITS.clientIdMaxLength}}$`;
const CLIENT_ID_RE = new RegExp(CLIENT_ID_PATTERN);
const HEX_RE = /^[0-9a-fA-F]*$/;

/** Device ids follow the one shared rule (shared/device-id.ts). */
export { DEVICE_ID_PATTERN, isDeviceId } from '../../shared/index';
export const isClientId = (value: unknown): value is string => typeof value === 'string' && CLIENT_ID_RE.test(value);

/** Python's list repr, as v1.0 prints missing fields: `['payload', 'signature']`. */
const pyList = (names: string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;

/** Parses one WS text frame into a JSON object, with the v1.0 INVALID_JSON error. */
export function parseFrame(text: string): JsonObject {
  try {
    return parseJsonObject(text);
  } catch {
    throw new RelayError('INVALID_JSON');
  }
}

/**
 * Checks an outer packet the way v1.0 relays do (missing fields, then version), plus shape checks
 * v1.0 lacked: ids, hex, sizes. `missingLabel` is "Missing fields" on device sockets, "Missing" on
 * client sockets (v1.0 used both texts).
 */
export function validatePacket(value: unknown, missingLabel: 'Missing fields' | 'Missing', versionOptional = false): RelayPacket {
  if (!isPlainObject(value)) throw new RelayError('INVALID_JSON');
  const missing = ['device_id', 'payload', 'signature'].filter((key) => value[key] === undefined || value[key] === null);
  if (missing.length > 0) throw new RelayError('INVALID_PACKET', `${missingLabel}: ${pyList(missing)}`);
  if (!(versionOptional && value.version === undefined) && value.version !== PROTOCOL_VERSION) {
    throw new RelayError('UNSUPPORTED_VERSION');
  }
  const { device_id: deviceId, payload, signature, request_counter: counter } = value;
  if (!isDeviceId(deviceId)) throw new RelayError('INVALID_PACKET', 'Invalid field: device_id');
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_PAYLOAD_HEX || payload.length % 2 !== 0 || !HEX_RE.test(payload)) {
    throw new RelayError('INVALID_PACKET', 'Invalid field: payload');
  }
  if (typeof signature !== 'string' || signature.length !== SIGNATURE_HEX || !HEX_RE.test(signature)) {
    throw new RelayError('INVALID_PACKET', 'Invalid field: signature');
  }
  const requestCounter = typeof counter === 'number' && Number.isSafeInteger(counter) ? counter : null;
  return { deviceId, payload, signature, requestCounter };
}

/** What a device receives: exactly v1.0's forwarded shape, one frame. */
export function deviceFrame(packet: { deviceId: string; payload: string; signature: string }): string {
  return JSON.stringify({ device_id: packet.deviceId, payload: packet.payload, signature: packet.signature, version: PROTOCOL_VERSION });
}

/** What a WS client receives for a device response: a bare v1.0 packet. */
export function clientFrame(packet: { deviceId: string; payload: string; signature: string; requestCounter: number | null }): string {
  return JSON.stringify({
    device_id: packet.deviceId,
    payload: packet.payload,
    signature: packet.signature,
    request_counter: packet.requestCounter,
    version: PROTOCOL_VERSION,
  });
}
