import { toHex } from './bytes';
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
  private highest: number | undefined;
  private readonly ring: string[] = [];
  private readonly seen = new Set<string>();

  constructor(options: FreshnessOptions = {}) {
    this.capacity = options.capacity ?? 64;
    this.windowSeconds = options.windowSeconds ?? 300;
    this.floorSeconds = isPlausibleUnixSeconds(options.floorSeconds) ? options.floorSeconds : undefined;
    if (!(this.capacity >= 1) || !(this.windowSeconds > 0)) {
      throw new ProtocolError(ErrorCodes.INVALID_ARGUMENT, 'capacity and windowSeconds must be positive');
    }
  }

  /** Throws REPLAY_DETECTED or STALE_TIMESTAMP; on success remembers the packet. */
  accept(input: FreshnessInput): void {
    const nonceKey = 'n:' + toHex(input.nonce.subarray(0, 12));
    const idKey = typeof input.requestId === 'string' && input.requestId.length > 0 ? 'r:' + input.requestId : null;
    if (this.seen.has(nonceKey) || (idKey !== null && this.seen.has(idKey))) {
      throw new ProtocolError(ErrorCodes.REPLAY_DETECTED, 'packet was already accepted');
    }
    const floorApplies = this.floorSeconds !== undefined && input.readOnly !== true;
    if (floorApplies && isPlausibleUnixSeconds(input.timestamp) && input.timestamp <= this.floorSeconds!) {
      throw new ProtocolError(ErrorCodes.STALE_TIMESTAMP, 'timestamp not newer than the last one accepted before the reboot');
    }
    if (input.nowSeconds !== undefined && input.timestamp !== undefined && input.timestamp !== null) {
      const ts = input.timestamp;
      if (typeof ts !== 'number' || !Number.isFinite(ts) || Math.abs(ts - input.nowSeconds) > this.windowSeconds) {
        throw new ProtocolError(ErrorCodes.STALE_TIMESTAMP, 'timestamp outside the accepted window');
      }
    }
    this.remember(nonceKey);
    if (idKey !== null) this.remember(idKey);
    if (isPlausibleUnixSeconds(input.timestamp) && (this.highest === undefined || input.timestamp > this.highest)) {
      this.highest = input.timestamp;
    }
  }

  /** The highest plausible Unix-seconds timestamp accepted so far: what a device persists as the next floor. */
  get highestTimestamp(): number | undefined {
    return this.highest ?? this.floorSeconds;
  }

  get size(): number {
    return this.seen.size;
  }

  private remember(key: string): void {
    this.ring.push(key);
    this.seen.add(key);
    while (this.ring.length > this.capacity * 2) this.seen.delete(this.ring.shift()!);
  }
}
