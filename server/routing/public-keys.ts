/**
 * Endpoint public keys (issue 13): Ed25519 or X25519, 32 raw bytes, so endpoints can encrypt to
 * (or verify) each other. Node imports any 32 bytes as such a key, so the relay checks what a peer
 * would need: an Ed25519 key is a point on the curve (RFC 8032 5.1.3 decoding) outside the small
 * subgroup; an X25519 key does not have small order (OpenSSL refuses a shared secret with one).
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RelayError } from '../errors';
import type { PublicKeyType } from '../store/types';

const P = 2n ** 255n - 19n;
const mod = (a: bigint) => ((a % P) + P) % P;
function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
const inv = (a: bigint) => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** RFC 8032 5.1.3: the affine point an encoding names, or null. */
function decodeEd25519(bytes: Uint8Array): [bigint, bigint] | null {
  const sign = bytes[31]! >> 7;
  let y = 0n;
  for (let i = 31; i >= 0; i -= 1) y = (y << 8n) | BigInt(i === 31 ? bytes[i]! & 0x7f : bytes[i]!);
  if (y >= P) return null;
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return null;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = mod(-x);
  return [x, y];
}

/** Affine addition on -x² + y² = 1 + d·x²·y². */
function add([x1, y1]: [bigint, bigint], [x2, y2]: [bigint, bigint]): [bigint, bigint] {
  const t = mod(D * x1 * x2 * y1 * y2);
  return [mod((x1 * y2 + y1 * x2) * inv(1n + t)), mod((y1 * y2 + x1 * x2) * inv(mod(1n - t)))];
}

function hasSmallOrder(point: [bigint, bigint]): boolean {
  let q = point;
  for (let i = 0; i < 3; i += 1) q = add(q, q); // [8]P is the identity exactly for the 8 torsion points
  return q[0] === 0n && q[1] === 1n;
}

let probeKey: KeyObject | undefined;

/** Parses `{type, key}` (base64 or base64url of the 32 raw bytes); returns it with the key as base64url. */
export function checkPublicKey(value: { type: string; key: string }): { type: PublicKeyType; key: string } {
  const type = value.type.toLowerCase();
  if (type !== 'ed25519' && type !== 'x25519') throw new RelayError('BAD_REQUEST', 'public_key.type must be ed25519 or x25519');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(value.key)) throw new RelayError('BAD_REQUEST', 'public_key.key must be the 32-byte raw key in base64 or base64url');
  const raw = Buffer.from(value.key.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''), 'base64url');
  if (raw.length !== 32) throw new RelayError('BAD_REQUEST', 'public_key.key must decode to exactly 32 bytes');
  const x = raw.toString('base64url');
  const invalid = () => new RelayError('BAD_REQUEST', `public_key.key is not a usable ${type} public key`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: type === 'ed25519' ? 'Ed25519' : 'X25519', x }, format: 'jwk' });
  } catch {
    throw invalid();
  }
  if (type === 'ed25519') {
    const point = decodeEd25519(raw);
    if (point === null || hasSmallOrder(point)) throw invalid();
  } else {
    probeKey ??= generateKeyPairSync('x25519').privateKey;
    try {
      diffieHellman({ privateKey: probeKey, publicKey: key });
    } catch {
      throw invalid();
    }
  }
  return { type, key: x };
}
