import { ErrorCodes, ProtocolError } from './errors';

export interface FreshnessOptions {
  /** How many recent nonces and request ids are remembered (bounded memory). */
  capacity?: number;
  /** Accepted distance between a packet's `timestamp` and the trusted clock, in seconds. */
  windowSeconds?: number;
  /**
   * The highest timestamp accepted before the last reboot (persisted by the device). Packets whose
   * Unix-seconds timestamp is not above it are refused, so a packet captured before a reboot
   * cannot be replayed after it, even while the clock is still unknown (catalogue F13).
   */
  floorSeconds?: number;
}

const NONCE = 1;
const REQUEST_ID = 2;
/** Bytes that identify a packet: the first 12 of its nonce block (the ChaCha20 nonce). */
const KEY_BYTES = 12;
const ENTRY_BYTES = 1 + KEY_BYTES;

/** v1.0 clients send Unix time in seconds; anything else (e.g. milliseconds) never moves the floor. */
const MIN_UNIX_SECONDS = 1_000_000_000; // 2001-09-09
const MAX_UNIX_SECONDS = 10_000_000_000; // year 2286

export function isPlausibleUnixSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_UNIX_SECONDS && value < MAX_UNIX_SECONDS;
}

export interface FreshnessInput {
  nonce: Uint8Array;
  requestId?: unknown;
  timestamp?: unknown;
  /** Trusted current time in seconds (after SNTP); omit while the clock is unknown. */
  nowSeconds?: number;
  /** A command that changes nothing (ping, info): replaying it is harmless, so the floor is not applied. */
  readOnly?: boolean;
  /** Seconds since this boot (monotonic): before SNTP it bounds how far the high-water mark may move. */
  uptimeSeconds?: number;
}

/**
 * Replay memory for v1.0 packets, which carry no authenticated counter: a bounded ring of recently
 * accepted nonces and request ids, plus a timestamp window when the caller knows the time.
 * Call `accept` only after the MAC has been verified, so forgeries cannot evict real entries.
 */
export class FreshnessGuard {
  readonly capacity: number;
  readonly windowSeconds: number;
  readonly floorSeconds: number | undefined;
  /** Set once a trusted clock shows the floor lies in the future (a client clock far ahead): it is then ignored. */
  private floorDistrusted = false;
  /** Before SNTP: the boot's floor, else the first timestamp accepted this boot; the mark stays near it. */
  private anchor: number | undefined;
  /** Highest timestamp accepted this boot, bounded (see `accept`). */
  private highest: number | undefined;
  /**
   * The memory of accepted packets: one ring of 2 × capacity entries in a single byte array (a
   * board keeps it in one small chunk, where strings in a Set cost ~200 bytes per packet). An
   * entry is a kind byte and 12 key bytes: a nonce as it came, or a request id reduced to two
   * 32-bit FNV-1a hashes and its length (a false "seen" needs both hashes to collide).
   */
  private readonly entries: Uint8Array;
  private count = 0;
  private next = 0;
  private readonly key = new Uint8Array(KEY_BYTES);

  constructor(options: FreshnessOptions = {}) {
    this.capacity = options.capacity ?? 64;
    this.windowSeconds = options.windowSeconds ?? 300;
    this.floorSeconds = isPlausibleUnixSeconds(options.floorSeconds) ? options.floorSeconds : undefined;
    this.anchor = this.floorSeconds;
    if (!(this.capacity >= 1) || !(this.windowSeconds > 0)) {
      throw new ProtocolError(ErrorCodes.INVALID_ARGUMENT, 'capacity and windowSeconds must be positive');
    }
    this.entries = new Uint8Array(this.capacity * 2 * ENTRY_BYTES);
  }

  /** Throws REPLAY_DETECTED or STALE_TIMESTAMP; on success remembers the packet. */
  accept(input: FreshnessInput): void {
    const nonce = input.nonce.subarray(0, KEY_BYTES);
    const requestId = typeof input.requestId === 'string' && input.requestId.length > 0 ? input.requestId : null;
    if (this.has(NONCE, nonce) || (requestId !== null && this.has(REQUEST_ID, this.requestIdKey(requestId)))) {
      throw new ProtocolError(ErrorCodes.REPLAY_DETECTED, 'packet was already accepted');
    }
    const now = input.nowSeconds;
    if (now !== undefined && this.floorSeconds !== undefined && this.floorSeconds > now + this.windowSeconds) {
      // A floor no honest client could have produced: honouring it would lock state changes out for good.
      this.floorDistrusted = true;
      this.anchor = undefined;
    }
    const stateChanging = input.readOnly !== true;
    const floorApplies = this.floorSeconds !== undefined && !this.floorDistrusted && stateChanging;
    if (floorApplies && isPlausibleUnixSeconds(input.timestamp) && input.timestamp <= this.floorSeconds!) {
      throw new ProtocolError(ErrorCodes.STALE_TIMESTAMP, 'timestamp not newer than the last one accepted before the reboot');
    }
    // Before SNTP the nonce ring is the only memory, and it rotates: an old captured state change must
    // also be older than what this boot already accepted, less the window.
    if (now === undefined && stateChanging && this.highest !== undefined && isPlausibleUnixSeconds(input.timestamp)
      && input.timestamp < this.highest - this.windowSeconds) {
      throw new ProtocolError(ErrorCodes.STALE_TIMESTAMP, 'timestamp older than commands already accepted since boot');
    }
    if (input.nowSeconds !== undefined && input.timestamp !== undefined && input.timestamp !== null) {
      const ts = input.timestamp;
      if (typeof ts !== 'number' || !Number.isFinite(ts) || Math.abs(ts - input.nowSeconds) > this.windowSeconds) {
        throw new ProtocolError(ErrorCodes.STALE_TIMESTAMP, 'timestamp outside the accepted window');
      }
    }
    this.remember(NONCE, nonce);
    if (requestId !== null) this.remember(REQUEST_ID, this.requestIdKey(requestId));
    this.raiseMark(input);
  }

  /**
   * The mark never runs ahead of what time can explain: with a clock, now + window; before SNTP,
   * the anchor + uptime + window. One packet from a client clock set to 2100 cannot push it (and
   * so the persisted floor) years ahead.
   */
  private raiseMark(input: FreshnessInput): void {
    const ts = input.timestamp;
    if (!isPlausibleUnixSeconds(ts)) return;
    if (input.nowSeconds === undefined && this.anchor === undefined) this.anchor = ts;
    const bound = input.nowSeconds !== undefined
      ? input.nowSeconds + this.windowSeconds
      : this.anchor! + Math.max(0, Math.floor(input.uptimeSeconds ?? 0)) + this.windowSeconds;
    if (this.highest !== undefined && this.highest > bound && input.nowSeconds !== undefined) this.highest = bound;
    const mark = Math.min(ts, bound);
    if (this.highest === undefined || mark > this.highest) this.highest = mark;
  }

  /** The highest plausible Unix-seconds timestamp accepted so far (bounded): what a device persists as the next floor. */
  get highestTimestamp(): number | undefined {
    const floor = this.floorDistrusted ? undefined : this.floorSeconds;
    if (this.highest === undefined) return floor;
    return floor !== undefined && floor > this.highest ? floor : this.highest;
  }

  /** True once a trusted clock has shown the pre-reboot floor to lie in the future. */
  get floorIgnored(): boolean {
    return this.floorDistrusted;
  }

  /** Entries remembered (nonces and request ids), at most 2 × capacity. */
  get size(): number {
    return this.count;
  }

  private has(kind: number, key: Uint8Array): boolean {
    const { entries } = this;
    for (let entry = 0; entry < this.count; entry++) {
      const at = entry * ENTRY_BYTES;
      if (entries[at] !== kind) continue;
      let i = 0;
      while (i < KEY_BYTES && entries[at + 1 + i] === key[i]) i++;
      if (i === KEY_BYTES) return true;
    }
    return false;
  }

  /** Writes over the oldest entry once the ring is full. */
  private remember(kind: number, key: Uint8Array): void {
    const at = this.next * ENTRY_BYTES;
    this.entries[at] = kind;
    this.entries.set(key.subarray(0, KEY_BYTES), at + 1);
    this.next = (this.next + 1) % (this.capacity * 2);
    if (this.count < this.capacity * 2) this.count++;
  }

  /** 12 key bytes for a request id: FNV-1a 32 with two offset bases, then the length. */
  private requestIdKey(id: string): Uint8Array {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < id.length; i++) {
      const unit = id.charCodeAt(i);
      a = Math.imul(a ^ unit, 0x01000193) >>> 0;
      b = Math.imul(b ^ unit, 0x01000193) >>> 0;
    }
    const key = this.key;
    for (let i = 0; i < 4; i++) {
      key[i] = (a >>> (8 * i)) & 0xff;
      key[4 + i] = (b >>> (8 * i)) & 0xff;
      key[8 + i] = (id.length >>> (8 * i)) & 0xff;
    }
    return key;
  }
}
