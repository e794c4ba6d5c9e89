import type { Clock } from '../time';

export interface ThrottleOptions {
  /** Failures allowed within `windowMs` before callers must wait. */
  maxFailures: number;
  windowMs: number;
  /** First wait once over budget; doubles per extra failure up to `maxBackoffMs` (no hard lockout). */
  baseBackoffMs: number;
  maxBackoffMs: number;
  maxEntries: number;
}

interface Entry { failures: number; firstAt: number; lastAt: number }

/**
 * Counts failures per key (account name or IP) and answers "wait N ms". Exponential backoff rather
 * than a fixed lockout, so an attacker cannot lock a user out for long (OWASP authentication rules).
 */
export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();
  /** Several relay instances (issue 15): every local change is told, so the others apply it too. */
  private changeListener: ((op: 'failure' | 'reset', key: string) => void) | null = null;

  constructor(private readonly options: ThrottleOptions, private readonly clock: Clock) {}

  onChange(listener: (op: 'failure' | 'reset', key: string) => void): void {
    this.changeListener = listener;
  }

  /** A change another instance made: applied here, not told again. */
  applyRemote(op: string, key: string): void {
    if (op === 'failure') this.count(key);
    else if (op === 'reset') this.entries.delete(key);
  }

  /** Milliseconds the caller must still wait; 0 when allowed. */
  retryAfterMs(key: string): number {
    const entry = this.live(key);
    if (!entry || entry.failures < this.options.maxFailures) return 0;
    const over = entry.failures - this.options.maxFailures;
    const backoff = Math.min(this.options.baseBackoffMs * 2 ** Math.min(over, 30), this.options.maxBackoffMs);
    return Math.max(0, entry.lastAt + backoff - this.clock.now());
  }

  /** Failures counted for the key within the window. */
  failures(key: string): number {
    return this.live(key)?.failures ?? 0;
  }

  recordFailure(key: string): void {
    this.count(key);
    this.changeListener?.('failure', key);
  }

  private count(key: string): void {
    const now = this.clock.now();
    const entry = this.live(key);
    this.entries.delete(key);
    this.entries.set(key, entry ? { ...entry, failures: entry.failures + 1, lastAt: now } : { failures: 1, firstAt: now, lastAt: now });
    // Map iteration order is insertion order: the first key is the least recently failed.
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  reset(key: string): void {
    this.entries.delete(key);
    this.changeListener?.('reset', key);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.clock.now() - entry.lastAt > this.options.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
