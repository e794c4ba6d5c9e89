/** Device identity: id from the chip id, and exactly one random token on first boot (fixes B1). */
import { MIN_TOKEN_LENGTH, deviceIdFromChip } from '../shared/index';
import { SETUP_PASSWORD_LENGTH, TOKEN_ALPHABET, TOKEN_LENGTH } from './constants';
import type { KeyValueStore, Logger, RandomSource } from './platform/types';
import { deleteStoredText, readStoredText, writeStoredText } from './stored-text';

export const TOKEN_KEY = 'tok';
export const SETUP_PASSWORD_KEY = 'setup_pw';

/** `WL` + chip id in uppercase hex without zero padding (spec 1.1): the shared rule, shared/device-id.ts. */
export { deviceIdFromChip };

/**
 * `length` characters from `alphabet`, unbiased: bytes at or above the largest multiple of the
 * alphabet size are discarded instead of folded in with `%`.
 */
export function randomString(random: RandomSource, length: number, alphabet: string = TOKEN_ALPHABET): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const bytes = random.bytes(length - out.length + 8);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i]!;
      if (b < limit) out += alphabet[b % alphabet.length]!;
    }
  }
  return out;
}

export function isValidToken(token: unknown): token is string {
  return typeof token === 'string' && token.length >= MIN_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(token);
}

export interface Identity {
  deviceId: string;
  token: string;
  setupPassword: string;
  /** True when this boot generated the token (first boot or factory reset). */
  firstBoot: boolean;
}

/** Loads the token and setup password, generating each exactly once if missing or unusable. */
export function loadIdentity(store: KeyValueStore, random: RandomSource, chipId: number, logger: Logger): Identity {
  const deviceId = deviceIdFromChip(chipId);
  let token = readStoredText(store, TOKEN_KEY);
  let firstBoot = false;
  if (!isValidToken(token)) {
    token = randomString(random, TOKEN_LENGTH);
    writeStoredText(store, TOKEN_KEY, token);
    firstBoot = true;
  }
  let setupPassword = store.get(SETUP_PASSWORD_KEY);
  if (setupPassword === undefined || setupPassword.length < SETUP_PASSWORD_LENGTH) {
    setupPassword = randomString(random, SETUP_PASSWORD_LENGTH);
    store.set(SETUP_PASSWORD_KEY, setupPassword);
    firstBoot = true;
  }
  if (firstBoot) {
    logger.log('info', `PROVISION device_id=${deviceId}`);
    logger.log('info', `PROVISION device_token=${token}`);
    logger.log('info', `PROVISION setup_password=${setupPassword}`);
    logger.log('info', 'PROVISION write these down: they are shown on the serial console only once');
  }
  return { deviceId, token, setupPassword, firstBoot };
}

/** Persists a rotated token (update_token). The caller restarts afterwards. */
export function storeToken(store: KeyValueStore, token: string): void {
  writeStoredText(store, TOKEN_KEY, token);
}

/** Factory reset of the identity: the next boot generates (and prints) a new token and setup password. */
export function clearIdentity(store: KeyValueStore): void {
  deleteStoredText(store, TOKEN_KEY);
  store.delete(SETUP_PASSWORD_KEY);
}
