import {
  ErrorCodes, ProtocolError, buildCommand, deriveKey, isPlainObject, openPacketText, sealPacket, toHex,
  type CommandName, type Envelope, type JsonObject,
} from '../shared/index';
import { nodeCrypto } from '../node/crypto';
import { CliError } from './errors';

export const NONCE_BYTES = 16;
export const REQUEST_ID_BYTES = 4;

/** One sealed request and what is needed to recognise its reply. */
export interface SealedRequest {
  envelope: Envelope;
  requestId: string;
  command: CommandName;
  key: Uint8Array;
  deviceId: string;
}

export function keyFromToken(deviceName: string, token: unknown): Uint8Array {
  if (typeof token !== 'string' || token.length === 0) {
    throw new CliError('USAGE', `device "${deviceName}" has no token; set it with \`wakelink update ${deviceName} --token TOKEN\``);
  }
  try {
    return deriveKey(token, nodeCrypto);
  } catch (error) {
    if (error instanceof ProtocolError) throw new CliError('USAGE', `the token of "${deviceName}" is shorter than 32 characters; WakeLink devices refuse such tokens`);
    throw error;
  }
}

/** Builds the inner command like v1.0 (8-hex request id, seconds) and seals it with a fresh nonce. */
export function sealRequest(deviceId: string, key: Uint8Array, command: CommandName, data: JsonObject, nowMs = Date.now()): SealedRequest {
  const requestId = toHex(nodeCrypto.randomBytes(REQUEST_ID_BYTES));
  const inner = buildCommand(command, data, requestId, Math.floor(nowMs / 1000));
  try {
    const envelope = sealPacket({ key, deviceId, inner, nonce: nodeCrypto.randomBytes(NONCE_BYTES), crypto: nodeCrypto });
    return { envelope, requestId, command, key, deviceId };
  } catch (error) {
    if (error instanceof ProtocolError) throw new CliError('USAGE', `command too large for one WakeLink packet: ${error.message}`);
    throw error;
  }
}

export type ReplyCheck =
  | { kind: 'match'; inner: JsonObject; requestCounter: unknown }
  /** Verified but answers someone else's request (a relay may hand us foreign packets). */
  | { kind: 'foreign'; requestId: unknown }
  /** HMAC mismatch: signed with another token. */
  | { kind: 'bad-signature' }
  | { kind: 'malformed'; reason: string };

/**
 * Opens one candidate reply. A reply matches when it echoes our request id, or when it is an
 * error sent before the device could read the id (v1.0 then echoes null, spec 2.4).
 */
export function checkReply(request: SealedRequest, packet: unknown): ReplyCheck {
  if (!isPlainObject(packet)) return { kind: 'malformed', reason: 'reply is not a JSON object' };
  let opened;
  try {
    opened = openPacketText({ key: request.key, packet: packet as unknown as Envelope, crypto: nodeCrypto });
  } catch (error) {
    if (error instanceof ProtocolError) {
      if (error.code === ErrorCodes.INVALID_SIGNATURE) return { kind: 'bad-signature' };
      return { kind: 'malformed', reason: `${error.code}: ${error.message}` };
    }
    throw error;
  }
  const { inner } = opened;
  const echoed = inner.request_id;
  if (echoed === request.requestId || ((echoed === null || echoed === undefined || echoed === 'unknown') && inner.status === 'error')) {
    return { kind: 'match', inner, requestCounter: packet.request_counter };
  }
  return { kind: 'foreign', requestId: echoed };
}

export function signatureError(deviceName: string): CliError {
  return new CliError(
    'INVALID_SIGNATURE',
    `signature check failed: the reply was not signed with the token saved for "${deviceName}". `
      + 'The device has a different token (was it rotated or factory-reset?); fix it with '
      + `\`wakelink update ${deviceName} --token TOKEN\``,
  );
}
