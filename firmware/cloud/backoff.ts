/** Exponential reconnect delay with jitter, so a fleet does not reconnect in lock-step. */
import { CLOUD_BACKOFF_BASE_MS, CLOUD_BACKOFF_JITTER, CLOUD_BACKOFF_MAX_MS } from '../constants';
import type { RandomSource } from '../platform/types';

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly random: RandomSource,
    private readonly baseMs = CLOUD_BACKOFF_BASE_MS,
    private readonly maxMs = CLOUD_BACKOFF_MAX_MS,
    private readonly jitter = CLOUD_BACKOFF_JITTER,
  ) {}

  /** Delay before the next attempt; each call doubles the base up to the cap. */
  next(): number {
    const exponent = Math.min(this.attempt, 20);
    this.attempt++;
    const nominal = Math.min(this.maxMs, this.baseMs * 2 ** exponent);
    const bytes = this.random.bytes(2);
    const unit = ((bytes[0]! << 8) | bytes[1]!) / 0xffff; // 0..1
    return Math.round(nominal * (1 - this.jitter + 2 * this.jitter * unit));
  }

  reset(): void {
    this.attempt = 0;
  }
}
