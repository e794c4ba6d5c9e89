/**
 * Real, v1.0-sized sealed packets for the load generator: a `wake` command as the CLI sends it and
 * the device's `wol_sent` reply. Sealed once per device up front; the relay is blind, so resending
 * the same bytes costs it exactly what fresh ones would.
 */
import { nodeCrypto } from '../../node/crypto';
import { deriveKey, PROTOCOL_VERSION, sealPacket } from '../../shared/index';
import { WAKE_INNER } from '../protocol/workload';

const DEVICE_TOKEN = 'WakeLinkBenchDeviceToken-0123456789abcdefghijklmnopqrstuvwxyz';

export interface DevicePackets {
  deviceId: string;
  /** Outer command packet, JSON text (client → relay). */
  command: string;
  /** Outer reply packet with request_counter, JSON text (device → relay). */
  reply: string;
}

/** Device ids the benchmark registers: `WLB` + prefix + index, all valid relay ids. */
export function benchDeviceId(prefix: string, index: number): string {
  return `WLB${prefix}${index.toString(16).toUpperCase().padStart(5, '0')}`;
}

export function packetsFor(deviceId: string, index: number): DevicePackets {
  const key = deriveKey(DEVICE_TOKEN, nodeCrypto);
  const nonce = (salt: number) => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setUint32(0, index);
    bytes[4] = salt;
    return bytes;
  };
  const command = sealPacket({ key, deviceId, inner: WAKE_INNER, nonce: nonce(1), crypto: nodeCrypto });
  const reply = sealPacket({
    key,
    deviceId,
    inner: { status: 'success', result: 'wol_sent', mac: WAKE_INNER.data.mac, request_id: WAKE_INNER.request_id },
    nonce: nonce(2),
    requestCounter: 1,
    crypto: nodeCrypto,
  });
  if (command.version !== PROTOCOL_VERSION) throw new Error('sealPacket produced an unexpected version');
  return { deviceId, command: JSON.stringify(command), reply: JSON.stringify(reply) };
}
