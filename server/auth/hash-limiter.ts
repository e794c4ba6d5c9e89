import { RelayError } from '../errors';

/**
 * Bounds the password hashes (scrypt, ~100 ms each on the libuv pool) in progress: `concurrency`
 * run at once, at most `queueCap` wait, and one client address holds at most `perKeyCap` of those
 * places, so a flood from one address cannot make everyone else's login wait behind it (L6).
 * Whatever does not fit is refused at once with LOGIN_BUSY (429, Retry-After 1), never queued.
 */
export class HashLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly perKey = new Map<string, number>();
  /** Hashes started so far (a metric: tests and operators can see that refused attempts cost none). */
  started = 0;
  /** Most hashes ever running or waiting at once (never above concurrency + queueCap). */
  peak = 0;

  constructor(
    private readonly concurrency: number,
    private readonly queueCap: number,
    private readonly perKeyCap: number,
  ) {}

  /** Hashes of `key` running or waiting now. */
  pending(key: string): number {
    return this.perKey.get(key) ?? 0;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const mine = this.pending(key);
    const full = this.running >= this.concurrency && this.waiting.length >= this.queueCap;
    if (mine >= this.perKeyCap || full) throw new RelayError('LOGIN_BUSY', undefined, 1);
    this.perKey.set(key, mine + 1);
    this.peak = Math.max(this.peak, this.running + this.waiting.length + 1);
    try {
      if (this.running < this.concurrency) this.running += 1;
      // The slot is handed over by release(): `running` already counts us.
      else await new Promise<void>((resolve) => this.waiting.push(resolve));
      try {
        this.started += 1;
        return await task();
      } finally {
        this.release();
      }
    } finally {
      const left = this.pending(key) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
