/**
 * CryptoBackend on Moddable's native `crypt` (SHA-256, ChaCha20) and `hmac` modules. At start-up
 * it is checked against the spec 1.7 golden vector; if the native modules disagree (a different
 * SDK version, say), the plain-TypeScript reference of shared/ is used instead and a warning logged.
 */
import { Digest, StreamCipher } from 'crypt';
import HMAC from 'hmac';
import { createReferenceCrypto, deriveKey, fromHex, openPacket, type CryptoBackend } from '../../../shared/index';
import type { Logger, RandomSource } from '../types';
import { fromArrayBuffer, toArrayBuffer } from './bytes';

function nativeBackend(random: RandomSource): CryptoBackend {
  return {
    name: 'moddable-crypt',
    sha256(data) {
      const digest = new Digest('SHA256');
      digest.write(toArrayBuffer(data));
      return fromArrayBuffer(digest.close());
    },
    hmacSha256(key, data) {
      return fromArrayBuffer(new HMAC(new Digest('SHA256'), toArrayBuffer(key)).process(toArrayBuffer(data)));
    },
    chacha20(key, nonce, data, counter = 0) {
      const cipher = new StreamCipher('ChaCha', toArrayBuffer(key), toArrayBuffer(nonce), counter);
      return fromArrayBuffer(cipher.encrypt(toArrayBuffer(data)));
    },
    randomBytes: (length) => random.bytes(length),
  };
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

export function createModdableCrypto(random: RandomSource, logger: Logger): CryptoBackend {
  try {
    const native = nativeBackend(random);
    if (passesGolden(native)) return native;
  } catch {
    // fall through to the reference implementation
  }
  logger.log('warn', 'native crypt/hmac failed the golden self-test; using the TypeScript reference crypto');
  return createReferenceCrypto((length) => random.bytes(length));
}
