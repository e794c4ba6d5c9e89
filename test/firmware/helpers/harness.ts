/** Boots the real device logic on the in-memory platform and talks to it like a v1.0 client. */
import { nodeCrypto } from '../../../node/crypto';
import { buildCommand, deriveKey, fromHex, sealPacket, toHex, utf8Decode, type JsonObject } from '../../../shared/index';
import { startDevice } from '../../../firmware/device';
import { createMemoryPlatform, MemoryStore, SeededRandom, type MemoryPlatform } from '../../../firmware/platform/memory/index';
import type { DeviceHandle, DeviceOptions, RandomSource } from '../../../firmware/platform/types';
import { writeStoredText } from '../../../firmware/stored-text';
import { GOLDEN } from '../../vectors/crypto-vectors';

export const LAN_PORT = 99;
export const HTTP_PORT = 80;
export const HOME_SSID = 'home-net';
export const HOME_PASSWORD = 'correct horse';
export const SETUP_PASSWORD = 'SetupPass123';

/** Random bytes from a queue first (to pin reply nonces), then from a seeded generator. */
export class ScriptedRandom implements RandomSource {
  private readonly queue: number[] = [];
  private readonly fallback = new SeededRandom(12345);
  push(hex: string): void {
    for (const b of fromHex(hex)) this.queue.push(b);
  }
  bytes(length: number): Uint8Array {
    const out = this.fallback.bytes(length);
    for (let i = 0; i < length && this.queue.length > 0; i++) out[i] = this.queue.shift()!;
    return out;
  }
}

export interface ProvisionOptions {
  token?: string;
  wifi?: boolean;
  relayUrl?: string;
  apiToken?: string;
  cloudEnabled?: boolean;
}

/** A store as it looks after setup: golden token, known setup password, Wi-Fi configured. */
export function provisionedStore(options: ProvisionOptions = {}): MemoryStore {
  const store = new MemoryStore();
  writeStoredText(store, 'tok', options.token ?? GOLDEN.token);
  store.set('setup_pw', SETUP_PASSWORD);
  if (options.wifi !== false) {
    store.set('ssid', HOME_SSID);
    store.set('wifi_pw', HOME_PASSWORD);
  }
  if (options.relayUrl !== undefined) writeStoredText(store, 'url', options.relayUrl);
  if (options.apiToken !== undefined) writeStoredText(store, 'api', options.apiToken);
  if (options.cloudEnabled !== undefined) store.set('cloud_en', options.cloudEnabled ? '1' : '0');
  store.writes = 0;
  return store;
}

export interface TestDevice {
  platform: MemoryPlatform;
  handle: DeviceHandle;
  random: ScriptedRandom;
  token: string;
  key: Uint8Array;
}

export interface BootOptions {
  store?: MemoryStore;
  /** Whether the home network accepts the stored credentials (default true). */
  wifiReachable?: boolean;
  device?: DeviceOptions;
  token?: string;
}

/**
 * The clients' clock (Unix seconds). A reboot takes time, so every boot moves it one second on:
 * the device refuses timestamps not newer than those it accepted before a reboot (F13).
 */
let clientSeconds = 1733500000;

export function bootDevice(options: BootOptions = {}): TestDevice {
  clientSeconds += 1;
  const random = new ScriptedRandom();
  const store = options.store ?? provisionedStore();
  const platform = createMemoryPlatform({ store, random, crypto: nodeCrypto });
  if (options.wifiReachable !== false) platform.network.reachable.set(HOME_SSID, HOME_PASSWORD);
  const handle = startDevice(platform, { lanPort: LAN_PORT, httpPort: HTTP_PORT, wolAddress: '127.0.0.1', wolPort: 40009, ...options.device });
  platform.timers.advance(0); // Wi-Fi join / AP start complete
  const token = options.token ?? GOLDEN.token;
  return { platform, handle, random, token, key: deriveKey(token, nodeCrypto) };
}

let requestSeq = 0;

/** A v1.0 client packet line (compact JSON, as the Python CLI sends it). */
export function clientLine(key: Uint8Array, inner: JsonObject | string, nonceHex?: string): string {
  const nonce = nonceHex ? fromHex(nonceHex) : nodeCrypto.randomBytes(16);
  return JSON.stringify(sealPacket({ key, deviceId: GOLDEN.deviceId, inner, nonce, crypto: nodeCrypto }));
}

export function command(name: string, data: JsonObject = {}, requestId?: string): JsonObject {
  const id = requestId ?? `r${(requestSeq++).toString(16).padStart(7, '0')}`;
  return buildCommand(name, data, id, clientSeconds);
}

export interface Reply {
  line: string;
  outer: JsonObject;
  /** The decrypted inner JSON text, exactly as the device produced it. */
  inner: string;
  closed: boolean;
}

/** Verifies and decrypts a device reply line independently of the firmware code path. */
export function decodeReply(key: Uint8Array, line: string): Omit<Reply, 'closed'> {
  const outer = JSON.parse(line) as JsonObject;
  const payload = outer.payload as string;
  const expected = toHex(nodeCrypto.hmacSha256(key, new TextEncoder().encode(payload)));
  if (expected !== outer.signature) throw new Error('reply signature does not verify');
  const bytes = fromHex(payload);
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (bytes.length !== length + 18) throw new Error('reply has a bad length');
  const nonce = bytes.subarray(2 + length, 2 + length + 12);
  const inner = utf8Decode(nodeCrypto.chacha20(key, nonce, bytes.subarray(2, 2 + length), 0));
  return { line, outer, inner };
}

/** Sends one line over the LAN server, as one write, and returns the decoded reply. */
export function sendLine(device: TestDevice, line: string, key: Uint8Array = device.key): Reply {
  const peer = device.platform.tcp.connect(LAN_PORT);
  peer.send(line + '\n');
  // Commands that read flash answer from the next turn (CommandContext.soon).
  if (!peer.text.endsWith('\n')) device.platform.timers.advance(0);
  const text = peer.text;
  if (!text.endsWith('\n')) throw new Error(`no reply line (got ${JSON.stringify(text)})`);
  return { ...decodeReply(key, text.slice(0, -1)), closed: peer.closed };
}

export function sendCommand(device: TestDevice, inner: JsonObject | string): Reply {
  return sendLine(device, clientLine(device.key, inner));
}
