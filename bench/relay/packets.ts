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

/** One hex digit per section, so every section's ids differ (W: WS, H: HTTP, Q: queueing, I: idle). */
const SECTION_DIGIT: Record<string, string> = { W: 'A', H: 'B', Q: 'C', I: 'D' };

/** Device ids the benchmark registers: `WL` + section digit + index in 6 hex digits, ids the firmware could print. */
export function benchDeviceId(prefix: string, index: number): string {
  const digit = SECTION_DIGIT[prefix];
  if (digit === undefined || index < 0 || index > 0xffffff) throw new RangeError(`bench device id: bad section ${prefix} or index ${index}`);
  return `WL${digit}${index.toString(16).toUpperCase().padStart(6, '0')}`;
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
