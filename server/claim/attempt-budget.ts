import type { Clock } from '../time';

/**
 * Attempts per key in fixed one-minute windows on the relay clock (claim codes, issue 14). Every
 * attempt counts, right or wrong: the budget bounds searching, not failing. At most `maxKeys`
 * keys are remembered (the oldest window goes first), so a spray of addresses costs bounded
 * memory; the relay-wide budget still bounds such a spray. Several instances (issue 15) share the
 * budgets: every attempt recorded here is told (onChange), and applied on the others (applyRemote).
 */
export class AttemptBudget {
  private readonly windows = new Map<string, { startedAt: number; attempts: number }>();
  private changeListener: ((op: 'attempt', key: string) => void) | null = null;

  constructor(
    private readonly perWindow: number,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfterMs(key: string): number {
    const window = this.current(key);
    if (!window || window.attempts < this.perWindow) return 0;
    return Math.max(1, window.startedAt + this.windowMs - this.clock.now());
  }

  onChange(listener: (op: 'attempt', key: string) => void): void {
    this.changeListener = listener;
  }

  /** An attempt made on another instance. */
  applyRemote(op: string, key: string): void {
    if (op === 'attempt') this.count(key);
  }

  record(key: string): void {
    this.count(key);
    this.changeListener?.('attempt', key);
  }

  private count(key: string): void {
    const window = this.current(key);
    if (window) {
      window.attempts += 1;
      return;
    }
    this.windows.set(key, { startedAt: this.clock.now(), attempts: 1 });
    while (this.windows.size > this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }

  private current(key: string) {
    const window = this.windows.get(key);
    if (window && this.clock.now() - window.startedAt >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }
}
