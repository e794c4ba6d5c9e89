import { toHex } from './bytes';
import { ErrorCodes, ProtocolError } from './errors';

export interface FreshnessOptions {
  /** How many recent nonces and request ids are remembered (bounded memory). */
  capacity?: number;
  /** Accepted distance between a packet's `timestamp` and the trusted clock, in seconds. */
  windowSeconds?: number;
}

export interface FreshnessInput {
  nonce: Uint8Array;
  requestId?: unknown;
  timestamp?: unknown;
  /** Trusted current time in seconds (after SNTP); omit while the clock is unknown. */
  nowSeconds?: number;
}

/**
 * Replay memory for v1.0 packets, which carry no authenticated counter: a bounded ring of recently
 * accepted nonces and request ids, plus a timestamp window when the caller knows the time.
 * Call `accept` only after the MAC has been verified, so forgeries cannot evict real entries.
 */
export class FreshnessGuard {
  readonly capacity: number;
  readonly windowSeconds: number;
  private readonly ring: string[] = [];
  private readonly seen = new Set<string>();

  constructor(options: FreshnessOptions = {}) {
    this.capacity = options.capacity ?? 64;
    this.windowSeconds = options.windowSeconds ?? 300;
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
    if (input.nowSeconds !== undefined && input.timestamp !== undefined && input.timestamp !== null) {
      const ts = input.timestamp;
      if (typeof ts !== 'number' || !Number.isFinite(ts) || Math.abs(ts - input.nowSeconds) > this.windowSeconds) {
        throw new ProtocolError(ErrorCodes.STALE_TIMESTAMP, 'timestamp outside the accepted window');
      }
    }
    this.remember(nonceKey);
    if (idKey !== null) this.remember(idKey);
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
