import { concatBytes, fromHex, toHex, utf8Decode, utf8Encode } from './bytes';
import { referenceCrypto, type CryptoBackend } from './crypto/backend';
import { constantTimeEqual } from './crypto/compare';
import { ErrorCodes, ProtocolError } from './errors';
import { isPlainObject, parseJsonObject, type JsonObject } from './json';

export const PROTOCOL_VERSION = '1.0';
export const MIN_TOKEN_LENGTH = 32;
export const MAX_PLAINTEXT_BYTES = 500;
export const NONCE_BLOCK_BYTES = 16;
/** v1.0 firmware's floor for a decoded payload: 2-byte length + 4 bytes of ciphertext + 16-byte nonce. */
export const MIN_PACKET_BYTES = 22;
export const MIN_PLAINTEXT_BYTES = MIN_PACKET_BYTES - 2 - NONCE_BLOCK_BYTES;
export const MAX_PACKET_BYTES = 2 + MAX_PLAINTEXT_BYTES + NONCE_BLOCK_BYTES;
/** Longest legal `payload` text; anything longer is refused before the MAC is even computed. */
export const MAX_PAYLOAD_HEX = MAX_PACKET_BYTES * 2;
export const SIGNATURE_HEX = 64;

/** The outer v1.0 packet, as sent on TCP, WebSocket and inside HTTP bodies. */
export interface Envelope {
  device_id: string;
  payload: string;
  signature: string;
  request_counter?: number | null;
  version: string;
}

export interface SealOptions {
  key: Uint8Array;
  deviceId: string;
  inner: object | string;
  nonce: Uint8Array;
  requestCounter?: number;
  crypto?: CryptoBackend;
}

export interface OpenOptions {
  key: Uint8Array;
  packet: Envelope | string;
  crypto?: CryptoBackend;
}

/** K = SHA-256(UTF-8 token): both the ChaCha20 key and the HMAC key in v1.0 (spec 1.2). */
export function deriveKey(deviceToken: string, crypto: CryptoBackend = referenceCrypto): Uint8Array {
  if (typeof deviceToken !== 'string' || deviceToken.length < MIN_TOKEN_LENGTH) {
    throw new ProtocolError(ErrorCodes.CRYPTO_DISABLED, `device token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  return crypto.sha256(utf8Encode(deviceToken));
}

export function sealPacket(opts: SealOptions): Envelope {
  const crypto = opts.crypto ?? referenceCrypto;
  if (opts.nonce.length !== NONCE_BLOCK_BYTES) {
    throw new ProtocolError(ErrorCodes.INVALID_NONCE, `nonce block must be ${NONCE_BLOCK_BYTES} bytes`);
  }
  const text = typeof opts.inner === 'string' ? opts.inner : JSON.stringify(opts.inner);
  const plaintext = utf8Encode(text);
  if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw new ProtocolError(
      ErrorCodes.INVALID_DATA_LENGTH,
      `plaintext is ${plaintext.length} bytes; v1.0 allows 1..${MAX_PLAINTEXT_BYTES}`,
    );
  }
  if (plaintext.length < MIN_PLAINTEXT_BYTES) {
    // v1.0 firmware refuses packets under 22 bytes, so a shorter plaintext could never be opened.
    throw new ProtocolError(ErrorCodes.INVALID_PACKET_SIZE, `plaintext is ${plaintext.length} bytes; minimum ${MIN_PLAINTEXT_BYTES}`);
  }
  const ciphertext = crypto.chacha20(opts.key, opts.nonce.subarray(0, 12), plaintext, 0);
  const length = new Uint8Array([plaintext.length >> 8, plaintext.length & 0xff]);
  const payload = toHex(concatBytes(length, ciphertext, opts.nonce));
  // The MAC covers the payload's hex text (spec 1.4). Inline: on a board this runs at the deepest
  // point of a request, where every call frame counts against a 288-slot stack.
  const signature = toHex(crypto.hmacSha256(opts.key, utf8Encode(payload)));
  // Field order as v1.0 firmware emits it: device_id, payload, signature, request_counter, version.
  if (opts.requestCounter === undefined) return { device_id: opts.deviceId, payload, signature, version: PROTOCOL_VERSION };
  return { device_id: opts.deviceId, payload, signature, request_counter: opts.requestCounter, version: PROTOCOL_VERSION };
}

/** Checks the outer shape exactly as v1.0 firmware does (spec 2.1, table 2.4). */
export function parseEnvelope(packet: Envelope | string | unknown): Envelope {
  const outer: unknown = typeof packet === 'string' ? parseJsonObject(packet.trim(), ErrorCodes.JSON_PARSE) : packet;
  if (!isPlainObject(outer)) throw new ProtocolError(ErrorCodes.BAD_PACKET, 'packet is not a JSON object');
  const { payload, signature, version } = outer;
  if (version !== PROTOCOL_VERSION) throw new ProtocolError(ErrorCodes.BAD_PACKET, 'version must be the string "1.0"');
  if (typeof payload !== 'string' || payload.length === 0) throw new ProtocolError(ErrorCodes.BAD_PACKET, 'payload missing');
  if (typeof signature !== 'string' || signature.length === 0) throw new ProtocolError(ErrorCodes.BAD_PACKET, 'signature missing');
  return outer as unknown as Envelope;
}

/** Opens a packet: MAC first (constant time), then the size rules of spec 1.3, then the inner JSON. */
export function openPacket(opts: OpenOptions): JsonObject {
  return openPacketText(opts).inner;
}

export interface OpenedPacket {
  envelope: Envelope;
  inner: JsonObject;
  /** The 16-byte nonce block, for replay memory. */
  nonce: Uint8Array;
}

export function openPacketText(opts: OpenOptions): OpenedPacket {
  const crypto = opts.crypto ?? referenceCrypto;
  const envelope = parseEnvelope(opts.packet);
  const { payload } = envelope;
  if (payload.length > MAX_PAYLOAD_HEX) {
    throw new ProtocolError(ErrorCodes.INVALID_PACKET_SIZE, `payload longer than ${MAX_PAYLOAD_HEX} hex characters`);
  }
  // Compare lowercase hex texts: accepts an uppercase signature as v1.0 does, in constant time.
  const expected = utf8Encode(toHex(crypto.hmacSha256(opts.key, utf8Encode(payload))));
  const received = utf8Encode(envelope.signature.toLowerCase());
  if (!constantTimeEqual(expected, received)) {
    throw new ProtocolError(ErrorCodes.INVALID_SIGNATURE, 'HMAC does not match the payload');
  }
  const bytes = fromHex(payload);
  if (bytes.length < MIN_PACKET_BYTES) {
    throw new ProtocolError(ErrorCodes.INVALID_PACKET_SIZE, `packet is ${bytes.length} bytes; minimum ${MIN_PACKET_BYTES}`);
  }
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (length < 1 || length > MAX_PLAINTEXT_BYTES) {
    throw new ProtocolError(ErrorCodes.INVALID_DATA_LENGTH, `declared length ${length}; v1.0 allows 1..${MAX_PLAINTEXT_BYTES}`);
  }
  if (bytes.length !== 2 + length + NONCE_BLOCK_BYTES) {
    throw new ProtocolError(ErrorCodes.INVALID_PACKET_SIZE, `packet is ${bytes.length} bytes; expected ${2 + length + NONCE_BLOCK_BYTES}`);
  }
  const nonce = bytes.subarray(2 + length);
  const plaintext = crypto.chacha20(opts.key, nonce.subarray(0, 12), bytes.subarray(2, 2 + length), 0);
  const inner = parseJsonObject(utf8Decode(plaintext), ErrorCodes.INVALID_JSON);
  return { envelope, inner, nonce: nonce.slice() };
}
