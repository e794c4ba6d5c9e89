import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/crypto';
import { createReferenceCrypto, fromHex, referenceCrypto, toHex, utf8Encode, type CryptoBackend } from '../../shared/index';
import { CHACHA20_VECTORS, HMAC_VECTORS, SHA256_VECTORS } from '../vectors/crypto-vectors';

const backends: CryptoBackend[] = [referenceCrypto, nodeCrypto];

describe.each(backends)('$name backend against published vectors', (backend) => {
  it.each(SHA256_VECTORS)('SHA-256 $name', (v) => {
    const input = v.hex ? fromHex(v.hex) : utf8Encode((v.ascii ?? '').repeat(v.repeat ?? 1));
    expect(toHex(backend.sha256(input))).toBe(v.digest);
  });

  it.each(HMAC_VECTORS)('HMAC-SHA256 $name', (v) => {
    const mac = toHex(backend.hmacSha256(fromHex(v.keyHex), fromHex(v.dataHex)));
    expect(mac.slice(0, (v.truncateBytes ?? 32) * 2)).toBe(v.mac);
  });

  it.each(CHACHA20_VECTORS)('ChaCha20 $name', (v) => {
    const out = backend.chacha20(fromHex(v.keyHex), fromHex(v.nonceHex), fromHex(v.plainHex), v.counter);
    expect(toHex(out)).toBe(v.cipherHex);
    // A stream cipher is its own inverse.
    expect(toHex(backend.chacha20(fromHex(v.keyHex), fromHex(v.nonceHex), out, v.counter))).toBe(v.plainHex);
  });
});

describe('reference backend', () => {
  it('refuses to make nonces without an injected random source', () => {
    expect(() => referenceCrypto.randomBytes(16)).toThrow(expect.objectContaining({ code: 'NO_RANDOM_SOURCE' }));
  });

  it('uses the random source it is given', () => {
    const backend = createReferenceCrypto((n) => new Uint8Array(n).fill(7));
    expect(toHex(backend.randomBytes(3))).toBe('070707');
  });

  it('rejects wrong key and nonce sizes instead of reading past them', () => {
    expect(() => referenceCrypto.chacha20(new Uint8Array(31), new Uint8Array(12), new Uint8Array(1))).toThrow(/32 bytes/);
    expect(() => referenceCrypto.chacha20(new Uint8Array(32), new Uint8Array(16), new Uint8Array(1))).toThrow(/12 bytes/);
  });

  it('crosses a 64-byte block boundary with the counter incremented', () => {
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12).fill(2);
    const data = new Uint8Array(200).fill(3);
    expect(toHex(referenceCrypto.chacha20(key, nonce, data, 5))).toBe(toHex(nodeCrypto.chacha20(key, nonce, data, 5)));
  });
});
