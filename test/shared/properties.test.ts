import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/crypto';
import { ErrorCodes, ProtocolError, openPacket, referenceCrypto, sealPacket, toHex, type Envelope } from '../../shared/index';

// Fixed seed: the same cases on every run and in CI; a failure prints its path for replay.
const params = { seed: 20261123, numRuns: 200 };
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const key = bytes(32, 32);
const nonce = bytes(16, 16);
const inner = fc.record({
  command: fc.constantFrom('ping', 'wake', 'info'),
  data: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
  request_id: fc.stringMatching(/^[0-9a-f]{8}$/),
  timestamp: fc.integer({ min: 0, max: 2 ** 31 }),
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return (error as ProtocolError).code;
  }
}

describe('plain-TS backend equals node:crypto on random inputs', () => {
  it('SHA-256', () => {
    fc.assert(fc.property(bytes(0, 300), (data) => toHex(referenceCrypto.sha256(data)) === toHex(nodeCrypto.sha256(data))), params);
  });
  it('HMAC-SHA256 (short and over-block keys)', () => {
    fc.assert(
      fc.property(bytes(0, 100), bytes(0, 300), (k, data) => toHex(referenceCrypto.hmacSha256(k, data)) === toHex(nodeCrypto.hmacSha256(k, data))),
      params,
    );
  });
  it('ChaCha20 at random counters', () => {
    fc.assert(
      fc.property(key, bytes(12, 12), bytes(0, 300), fc.integer({ min: 0, max: 2 ** 32 - 8 }), (k, n, data, counter) =>
        toHex(referenceCrypto.chacha20(k, n, data, counter)) === toHex(nodeCrypto.chacha20(k, n, data, counter)),
      ),
      params,
    );
  });
});

describe('packets', () => {
  it('seal/open round trip, and both backends seal identical bytes', () => {
    fc.assert(
      fc.property(key, nonce, inner, (k, n, msg) => {
        const a = sealPacket({ key: k, deviceId: 'WL1', inner: msg, nonce: n });
        const b = sealPacket({ key: k, deviceId: 'WL1', inner: msg, nonce: n, crypto: nodeCrypto });
        expect(b).toEqual(a);
        expect(openPacket({ key: k, packet: JSON.stringify(a), crypto: nodeCrypto })).toEqual(msg);
      }),
      params,
    );
  });

  it('any single-bit change of payload or signature is rejected with INVALID_SIGNATURE', () => {
    fc.assert(
      fc.property(key, nonce, inner, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 3 }), (k, n, msg, inPayload, at, bit) => {
        const packet = sealPacket({ key: k, deviceId: 'WL1', inner: msg, nonce: n, crypto: nodeCrypto });
        const field = inPayload ? 'payload' : 'signature';
        const text = packet[field];
        const index = at % text.length;
        const flipped = (parseInt(text[index]!, 16) ^ (1 << bit)).toString(16);
        const tampered: Envelope = { ...packet, [field]: text.slice(0, index) + flipped + text.slice(index + 1) };
        expect(codeOf(() => openPacket({ key: k, packet: tampered, crypto: nodeCrypto }))).toBe(ErrorCodes.INVALID_SIGNATURE);
      }),
      params,
    );
  });

  it('an uppercased payload fails the MAC exactly as in v1.0', () => {
    fc.assert(
      fc.property(key, nonce, inner, (k, n, msg) => {
        const packet = sealPacket({ key: k, deviceId: 'WL1', inner: msg, nonce: n });
        fc.pre(/[a-f]/.test(packet.payload));
        expect(codeOf(() => openPacket({ key: k, packet: { ...packet, payload: packet.payload.toUpperCase() } }))).toBe(
          ErrorCodes.INVALID_SIGNATURE,
        );
      }),
      params,
    );
  });

  it('B8: random or truncated packets always raise ProtocolError, never another exception', () => {
    fc.assert(
      fc.property(key, fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })), (k, text) => {
        codeOf(() => openPacket({ key: k, packet: text }));
      }),
      { ...params, numRuns: 500 },
    );
    const k = new Uint8Array(32).fill(9);
    const text = JSON.stringify(sealPacket({ key: k, deviceId: 'WL1', inner: { command: 'ping' }, nonce: new Uint8Array(16) }));
    for (let cut = 0; cut < text.length; cut++) {
      expect(codeOf(() => openPacket({ key: k, packet: text.slice(0, cut) }))).not.toBe('accepted');
    }
  });
});
