/**
 * The durable row of a live command, written only if the board has not answered it within
 * INFLIGHT_ROW_DELAY_MS (issue 17). Writing the row and deleting it again on the reply cost more
 * relay CPU than the rest of the round trip, and a command the board answered is complete: it
 * needs no row. The sender's ACK still waits for whichever comes first — the reply, or the row's
 * commit — so an ACK `delivered: true` is never sent for a command a relay crash could lose (C1,
 * item 11); only its timing changes, by at most the delay, for boards slower than it.
 *
 * One timer for all waiting commands (not one per command); insertion order is due order.
 */
export class DeferredRows<Key extends object> {
  private readonly waiting = new Map<Key, { due: number; write: () => Promise<void>; done: () => void }>();
  private timer: NodeJS.Timeout | null = null;
  /** After `writeAll` (shutdown): nothing more waits, the store is about to close. */
  private flushedForGood = false;

  /** Real elapsed time, not the relay's (injectable) clock: this is about how fast boards answer. */
  private readonly now = () => performance.now();

  constructor(private readonly delayMs: number) {}

  /** Resolves once `key` is settled (answered, given up) or its row, written after the delay, is committed. */
  hold(key: Key, defer: boolean, write: () => Promise<void>): Promise<void> {
    if (this.delayMs <= 0 || !defer || this.flushedForGood) return write();
    return new Promise((done) => {
      this.waiting.set(key, { due: this.now() + this.delayMs, write, done });
      this.arm();
    });
  }

  /** The command ended (its reply came, or it was given up) before its row was written: none is. */
  settled(key: Key): void {
    const waiter = this.waiting.get(key);
    if (!waiter) return;
    this.waiting.delete(key);
    waiter.done();
  }

  /**
   * Writes every waiting row now, and every later one at once (at shutdown: sockets still deliver
   * frames while they close, and the store closes right after).
   */
  writeAll(): void {
    this.flushedForGood = true;
    this.run(Number.POSITIVE_INFINITY);
  }

  get size(): number {
    return this.waiting.size;
  }

  private arm(): void {
    if (this.timer || this.waiting.size === 0) return;
    const first = this.waiting.values().next().value!;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run(this.now());
      this.arm();
    }, Math.max(0, first.due - this.now()));
    this.timer.unref();
  }

  private run(until: number): void {
    for (const [key, waiter] of this.waiting) {
      if (waiter.due > until) break;
      this.waiting.delete(key);
      waiter.write().then(waiter.done, waiter.done);
    }
  }
}
