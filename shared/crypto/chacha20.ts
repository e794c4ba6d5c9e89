/**
 * ChaCha20 stream cipher, RFC 8439 variant: 256-bit key, 96-bit nonce, 32-bit block counter.
 * Returns `data` XOR keystream starting at block `counter` (v1.0 always uses 0).
 */
import { ErrorCodes, ProtocolError } from '../errors';

function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  let va = x[a]!, vb = x[b]!, vc = x[c]!, vd = x[d]!;
  va = (va + vb) | 0; vd ^= va; vd = (vd << 16) | (vd >>> 16);
  vc = (vc + vd) | 0; vb ^= vc; vb = (vb << 12) | (vb >>> 20);
  va = (va + vb) | 0; vd ^= va; vd = (vd << 8) | (vd >>> 24);
  vc = (vc + vd) | 0; vb ^= vc; vb = (vb << 7) | (vb >>> 25);
  x[a] = va; x[b] = vb; x[c] = vc; x[d] = vd;
}

function readLE(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
}

export function chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter = 0): Uint8Array {
  if (key.length !== 32) throw new ProtocolError(ErrorCodes.INVALID_ARGUMENT, 'ChaCha20 key must be 32 bytes');
  if (nonce.length !== 12) throw new ProtocolError(ErrorCodes.INVALID_ARGUMENT, 'ChaCha20 nonce must be 12 bytes');
  const input = new Uint32Array(16);
  input[0] = 0x61707865; input[1] = 0x3320646e; input[2] = 0x79622d32; input[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) input[4 + i] = readLE(key, i * 4);
  input[12] = counter >>> 0;
  for (let i = 0; i < 3; i++) input[13 + i] = readLE(nonce, i * 4);

  const working = new Uint32Array(16);
  const out = new Uint8Array(data.length);
  for (let offset = 0; offset < data.length; offset += 64) {
    working.set(input);
    for (let round = 0; round < 10; round++) {
      quarterRound(working, 0, 4, 8, 12); quarterRound(working, 1, 5, 9, 13);
      quarterRound(working, 2, 6, 10, 14); quarterRound(working, 3, 7, 11, 15);
      quarterRound(working, 0, 5, 10, 15); quarterRound(working, 1, 6, 11, 12);
      quarterRound(working, 2, 7, 8, 13); quarterRound(working, 3, 4, 9, 14);
    }
    const n = Math.min(64, data.length - offset);
    for (let i = 0; i < n; i++) {
      const word = (working[i >> 2]! + input[i >> 2]!) >>> 0;
      out[offset + i] = data[offset + i]! ^ ((word >>> ((i & 3) * 8)) & 0xff);
    }
    input[12] = (input[12]! + 1) >>> 0;
  }
  return out;
}
