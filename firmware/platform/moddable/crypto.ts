/**
 * CryptoBackend on Moddable's native `crypt` module: SHA-256 (Digest) and ChaCha20
 * (StreamCipher), with HMAC-SHA256 (RFC 2104) composed here over one reused Digest rather than
 * the SDK's JavaScript `hmac` module, which allocates a new hash and more stack per call. The
 * padded key blocks are kept for the key in use (the device key changes only on update_token).
 * At start-up the backend is checked against the spec 1.7 golden vector; if the native modules
 * disagree (a different SDK version, say), the plain-TypeScript reference of shared/ is used
 * instead and a warning logged.
 */
import { Digest, StreamCipher } from 'crypt';
import { createReferenceCrypto, deriveKey, fromHex, openPacket, type CryptoBackend } from '../../../shared/index';
import type { Logger, RandomSource } from '../types';
import { fromArrayBuffer, toArrayBuffer } from './bytes';

const HMAC_BLOCK = 64;

class NativeCrypto implements CryptoBackend {
  readonly name = 'moddable-crypt';
  private readonly digest = new Digest('SHA256');
  private padsFor: Uint8Array | null = null;
  private innerPad = new ArrayBuffer(0);
  private outerPad = new ArrayBuffer(0);

  constructor(private readonly random: RandomSource) {}

  sha256(data: Uint8Array): Uint8Array {
    return fromArrayBuffer(this.hash(toArrayBuffer(data)));
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    this.pads(key);
    return fromArrayBuffer(this.hash(this.outerPad, this.hash(this.innerPad, toArrayBuffer(data))));
  }

  chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter = 0): Uint8Array {
    const cipher = new StreamCipher('ChaCha', toArrayBuffer(key), toArrayBuffer(nonce), counter);
    return fromArrayBuffer(cipher.encrypt(toArrayBuffer(data)));
  }

  randomBytes(length: number): Uint8Array {
    return this.random.bytes(length);
  }

  private hash(first: ArrayBuffer, second?: ArrayBuffer): ArrayBuffer {
    const { digest } = this;
    digest.reset();
    digest.write(first);
    if (second) digest.write(second);
    return digest.close();
  }

  /** The padded key blocks of RFC 2104, kept for the key in use. */
  private pads(key: Uint8Array): void {
    if (key === this.padsFor) return;
    const block = key.length > HMAC_BLOCK ? new Uint8Array(this.hash(toArrayBuffer(key))) : key;
    const inner = new Uint8Array(HMAC_BLOCK);
    const outer = new Uint8Array(HMAC_BLOCK);
    for (let i = 0; i < HMAC_BLOCK; i++) {
      const byte = i < block.length ? block[i]! : 0;
      inner[i] = byte ^ 0x36;
      outer[i] = byte ^ 0x5c;
    }
    this.innerPad = inner.buffer;
    this.outerPad = outer.buffer;
    this.padsFor = key;
  }
}

/** Golden command of spec 1.7 (facts, not code). */
const GOLDEN_TOKEN = 'WakeLinkExampleToken0123456789abcdefXYZ';
const GOLDEN_PAYLOAD =
  '004b412d1ca51ba9000bc2c0feb094d8dd2ee6e69effe229dbf10f8d77a8635aca892c6df074674b00e71a4b0c63617ad97ffcd67fde8c7d54242e8b7de90721eb3448c601899d9bd3325295c4000102030405060708090a0b0c0d0e0f';
const GOLDEN_SIGNATURE = 'df6a75d1df6293d772bdd38cb5907b562c330beec3a757ff2a1ac605b77dfd4b';

function passesGolden(backend: CryptoBackend): boolean {
  try {
    const key = deriveKey(GOLDEN_TOKEN, backend);
    const inner = openPacket({
      key,
      crypto: backend,
      packet: { device_id: 'WL35080814', payload: GOLDEN_PAYLOAD, signature: GOLDEN_SIGNATURE, version: '1.0' },
    });
    return inner.command === 'ping' && inner.request_id === '1a2b3c4d' && fromHex(GOLDEN_SIGNATURE).length === 32;
  } catch {
    return false;
  }
}

/** `reference` skips the native modules (the bench compares the two on the lin build). */
export function createModdableCrypto(random: RandomSource, logger: Logger, use: 'native' | 'reference' = 'native'): CryptoBackend {
  if (use === 'reference') return createReferenceCrypto((length) => random.bytes(length));
  try {
    const native = new NativeCrypto(random);
    if (passesGolden(native)) return native;
  } catch {
    // fall through to the reference implementation
  }
  logger.log('warn', 'native crypt failed the golden self-test; using the TypeScript reference crypto');
  return createReferenceCrypto((length) => random.bytes(length));
}
