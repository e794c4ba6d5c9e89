import { ErrorCodes, ProtocolError } from '../errors';
import { chacha20 } from './chacha20';
import { hmacWith } from './hmac';
import { sha256 } from './sha256';

/**
 * The primitives the protocol needs. Node injects `node:crypto`, the board injects Moddable's
 * `crypt`/`hmac`; the plain-TypeScript reference below is the specification and the fallback.
 */
export interface CryptoBackend {
  readonly name: string;
  sha256(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 8439 ChaCha20 with a 12-byte nonce; `counter` defaults to 0. */
  chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter?: number): Uint8Array;
  randomBytes(length: number): Uint8Array;
}

function noRandomSource(): Uint8Array {
  throw new ProtocolError(ErrorCodes.NO_RANDOM_SOURCE, 'this crypto backend was built without a random source');
}

/** The reference backend; pass a random source (hardware RNG, crypto.getRandomValues) to get one that can make nonces. */
export function createReferenceCrypto(randomBytes: (length: number) => Uint8Array = noRandomSource): CryptoBackend {
  return {
    name: 'reference',
    sha256,
    hmacSha256: (key, data) => hmacWith(sha256, key, data),
    chacha20,
    randomBytes,
  };
}

export const referenceCrypto: CryptoBackend = Object.freeze(createReferenceCrypto());
