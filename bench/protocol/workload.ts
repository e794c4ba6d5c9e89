import { deriveKey, openPacket, sealPacket, type CryptoBackend } from '../../shared/index';

/** A typical v1.0 `wake` command, as the CLI sends it. */
export const WAKE_INNER = { command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: '9f1c2e7a', timestamp: 1733500000 };
const TOKEN = 'WakeLinkBenchToken0123456789abcdefXYZ-0123456789';

/** Runs `pairs` seal+open round trips; returns a checksum so no engine can skip the work. */
export function sealOpenPairs(pairs: number, crypto?: CryptoBackend): number {
  const key = deriveKey(TOKEN, crypto);
  const nonce = new Uint8Array(16);
  let checksum = 0;
  for (let i = 0; i < pairs; i++) {
    nonce[0] = i & 0xff;
    nonce[1] = (i >> 8) & 0xff;
    const packet = sealPacket({ key, deviceId: 'WL1A2B3C', inner: WAKE_INNER, nonce, ...(crypto ? { crypto } : {}) });
    const inner = openPacket({ key, packet, ...(crypto ? { crypto } : {}) });
    checksum = (checksum + (inner.request_id === WAKE_INNER.request_id ? 1 : 0) + packet.signature.charCodeAt(i % 64)) | 0;
  }
  return checksum;
}
