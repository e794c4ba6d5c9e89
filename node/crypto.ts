import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { CryptoBackend } from '../shared/index';

const ZERO_COUNTER = Buffer.alloc(4);

function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The Node backend for `shared/`: OpenSSL primitives behind the same interface as the reference. */
export const nodeCrypto: CryptoBackend = {
  name: 'node:crypto',
  sha256: (data) => view(createHash('sha256').update(data).digest()),
  hmacSha256: (key, data) => view(createHmac('sha256', key).update(data).digest()),
  chacha20: (key, nonce, data, counter = 0) => {
    // OpenSSL's 16-byte IV is a 4-byte little-endian block counter followed by the 12-byte nonce (spec 1.3 note).
    const iv = Buffer.alloc(16);
    if (counter === 0) ZERO_COUNTER.copy(iv, 0);
    else iv.writeUInt32LE(counter >>> 0, 0);
    iv.set(nonce, 4);
    const cipher = createCipheriv('chacha20', key, iv);
    return view(Buffer.concat([cipher.update(data), cipher.final()]));
  },
  randomBytes: (length) => view(randomBytes(length)),
};
