import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/crypto';
import {
  ErrorCodes, deriveKey, fromHex, openPacket, openPacketText, parseEnvelope, sealPacket, toHex, utf8Encode,
} from '../../shared/index';
import { GOLDEN } from '../vectors/crypto-vectors';

const key = deriveKey(GOLDEN.token);
const sign = (payload: string) => toHex(nodeCrypto.hmacSha256(key, utf8Encode(payload)));
const packetWith = (payload: string) => ({ device_id: 'WL1', payload, signature: sign(payload), version: '1.0' });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('golden vector (spec 1.7)', () => {
  it('seals the CLI command byte for byte, from an object in insertion order', () => {
    const inner = { command: 'ping', data: {}, request_id: '1a2b3c4d', timestamp: 1733500000 };
    const packet = sealPacket({ key, deviceId: GOLDEN.deviceId, inner, nonce: fromHex(GOLDEN.command.nonceHex), crypto: nodeCrypto });
    expect(JSON.stringify(packet)).toBe(
      `{"device_id":"WL35080814","payload":"${GOLDEN.command.payload}","signature":"${GOLDEN.command.signature}","version":"1.0"}`,
    );
  });

  it('opens the firmware reply, whichever JSON spacing the v1.0 relay re-serialised it with', () => {
    const spaced = `{"device_id": "WL35080814", "payload": "${GOLDEN.reply.payload}", "signature": "${GOLDEN.reply.signature}", "request_counter": 1, "version": "1.0"}`;
    expect(openPacket({ key, packet: spaced })).toEqual({ status: 'success', result: 'pong', request_id: '1a2b3c4d' });
  });

  it('accepts an uppercase signature (v1.0 compares case-insensitively) but not an uppercased payload', () => {
    const packet = { device_id: 'WL35080814', payload: GOLDEN.reply.payload, signature: GOLDEN.reply.signature.toUpperCase(), version: '1.0' };
    expect(openPacket({ key, packet }).result).toBe('pong');
    const upper = { ...packet, payload: GOLDEN.reply.payload.toUpperCase() };
    expect(code(() => openPacket({ key, packet: upper }))).toBe(ErrorCodes.INVALID_SIGNATURE);
  });

  it('returns the nonce block for replay memory', () => {
    const opened = openPacketText({ key, packet: { device_id: 'x', payload: GOLDEN.reply.payload, signature: GOLDEN.reply.signature, version: '1.0' } });
    expect(toHex(opened.nonce)).toBe(GOLDEN.reply.nonceHex);
  });
});

describe('size and shape rules, each with its exact v1.0 code', () => {
  it('checks the MAC before anything inside the payload', () => {
    const bad = { device_id: 'WL1', payload: '00', signature: '0'.repeat(64), version: '1.0' };
    expect(code(() => openPacket({ key, packet: bad }))).toBe(ErrorCodes.INVALID_SIGNATURE);
  });

  it.each([
    ['outer JSON unparsable', '{"payload":', ErrorCodes.JSON_PARSE],
    ['outer JSON an array', '[]', ErrorCodes.JSON_PARSE],
    ['version as a number', '{"device_id":"a","payload":"00","signature":"00","version":1.0}', ErrorCodes.BAD_PACKET],
    ['version missing', '{"device_id":"a","payload":"00","signature":"00"}', ErrorCodes.BAD_PACKET],
    ['empty signature', '{"device_id":"a","payload":"00","signature":"","version":"1.0"}', ErrorCodes.BAD_PACKET],
    ['payload not a string', '{"device_id":"a","payload":5,"signature":"00","version":"1.0"}', ErrorCodes.BAD_PACKET],
  ])('%s', (_name, text, expected) => {
    expect(code(() => parseEnvelope(text))).toBe(expected);
  });

  it.each([
    ['odd hex length', '0001' + '00'.repeat(17) + '0', ErrorCodes.HEX_LEN],
    ['non-hex character', '0001' + '00'.repeat(16) + 'g0', ErrorCodes.HEX_CHAR],
    ['21 bytes', '0001' + '00'.repeat(19), ErrorCodes.INVALID_PACKET_SIZE],
    ['declared length 0', '0000' + '00'.repeat(20), ErrorCodes.INVALID_DATA_LENGTH],
    ['declared length 501', '01f5' + '00'.repeat(20), ErrorCodes.INVALID_DATA_LENGTH],
    ['one trailing byte', '0004' + '00'.repeat(4 + 16 + 1), ErrorCodes.INVALID_PACKET_SIZE],
    ['one byte missing', '0008' + '00'.repeat(8 + 15), ErrorCodes.INVALID_PACKET_SIZE],
    ['longer than any legal payload', '01f4' + '00'.repeat(500 + 16 + 1), ErrorCodes.INVALID_PACKET_SIZE],
  ])('%s', (_name, payload, expected) => {
    expect(code(() => openPacket({ key, packet: packetWith(payload) }))).toBe(expected);
  });

  it('refuses plaintext over 500 bytes when sealing instead of truncating (B5)', () => {
    const nonce = new Uint8Array(16);
    expect(code(() => sealPacket({ key, deviceId: 'a', inner: 'x'.repeat(501), nonce }))).toBe(ErrorCodes.INVALID_DATA_LENGTH);
    expect(code(() => sealPacket({ key, deviceId: 'a', inner: 'é'.repeat(251), nonce }))).toBe(ErrorCodes.INVALID_DATA_LENGTH);
    const max = sealPacket({ key, deviceId: 'a', inner: 'x'.repeat(500), nonce });
    expect(max.payload).toHaveLength((2 + 500 + 16) * 2);
    expect(code(() => sealPacket({ key, deviceId: 'a', inner: '', nonce }))).toBe(ErrorCodes.INVALID_DATA_LENGTH);
    // v1.0 firmware's 22-byte floor: "{}" could never be opened by a deployed device.
    expect(code(() => sealPacket({ key, deviceId: 'a', inner: '{}', nonce }))).toBe(ErrorCodes.INVALID_PACKET_SIZE);
  });

  it('needs a 16-byte nonce block and a 32-character token', () => {
    expect(code(() => sealPacket({ key, deviceId: 'a', inner: '{"a":1}', nonce: new Uint8Array(12) }))).toBe(ErrorCodes.INVALID_NONCE);
    expect(code(() => deriveKey('x'.repeat(31)))).toBe(ErrorCodes.CRYPTO_DISABLED);
    expect(deriveKey('x'.repeat(32))).toHaveLength(32);
  });

  it('reports a payload whose plaintext is not JSON, not an object, or bad UTF-8 as INVALID_JSON', () => {
    const nonce = new Uint8Array(16);
    for (const inner of ['nope', '[1,2]', '"str"', '{"__proto__":{"admin":true}}']) {
      const packet = sealPacket({ key, deviceId: 'a', inner, nonce });
      expect(code(() => openPacket({ key, packet }))).toBe(ErrorCodes.INVALID_JSON);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const ciphertext = nodeCrypto.chacha20(key, nonce.subarray(0, 12), new Uint8Array([0x7b, 0x7d, 0xc0, 0x80]));
    const payload = '0004' + toHex(ciphertext) + toHex(nonce);
    expect(code(() => openPacket({ key, packet: packetWith(payload) }))).toBe(ErrorCodes.INVALID_JSON);
  });

  it('adds request_counter between signature and version when given', () => {
    const packet = sealPacket({ key, deviceId: 'a', inner: '{"a":1}', nonce: new Uint8Array(16), requestCounter: 7 });
    expect(Object.keys(packet)).toEqual(['device_id', 'payload', 'signature', 'request_counter', 'version']);
  });
});
