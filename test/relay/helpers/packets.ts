import { randomBytes } from 'node:crypto';
import { nodeCrypto } from '../../../node/crypto';
import { deriveKey, openPacket, sealPacket, type Envelope } from '../../../shared/index';

/** A v1.0 device token (what the CLI and firmware share; the relay must never see it stored). */
export function newDeviceToken(): string {
  return randomBytes(24).toString('hex'); // 48 chars, above the 32-char minimum
}

/** A real client→device v1.0 packet, sealed with the shared protocol core. */
export function commandPacket(deviceToken: string, deviceId: string, command: string, requestId: string, data: object = {}): Envelope {
  return sealPacket({
    key: deriveKey(deviceToken, nodeCrypto),
    deviceId,
    inner: { command, data, request_id: requestId, timestamp: Math.floor(Date.now() / 1000) },
    nonce: nodeCrypto.randomBytes(16),
    crypto: nodeCrypto,
  });
}

/** A real device→client response packet, as the firmware would send it (with request_counter). */
export function responsePacket(deviceToken: string, deviceId: string, inner: object, requestCounter = 7): Envelope {
  return sealPacket({
    key: deriveKey(deviceToken, nodeCrypto),
    deviceId,
    inner,
    nonce: nodeCrypto.randomBytes(16),
    requestCounter,
    crypto: nodeCrypto,
  });
}

export function open(deviceToken: string, packet: Envelope | string): Record<string, unknown> {
  return openPacket({ key: deriveKey(deviceToken, nodeCrypto), packet, crypto: nodeCrypto });
}
