/**
 * The v1.0 request counter (spec 1.6), kept but never used to lock the device out (B2).
 * Flash writes are batched by reservation: the store holds a ceiling COUNTER_RESERVE_BLOCK above
 * the live value, written only when the live value reaches it. After a reboot the counter resumes
 * at the stored ceiling, so it never goes backwards (F13) and costs one write per block.
 */
import { COUNTER_RESERVE_BLOCK } from './constants';
import type { KeyValueStore } from './platform/types';

export const COUNTER_KEY = 'counter';
const MAX_COUNTER = 0xffffffff;

export class UsageCounter {
  private current: number;
  private ceiling: number;

  constructor(private readonly store: KeyValueStore) {
    const stored = Number(store.get(COUNTER_KEY));
    this.current = Number.isInteger(stored) && stored >= 0 && stored <= MAX_COUNTER ? stored : 0;
    this.ceiling = this.current;
    this.reserve();
  }

  get value(): number {
    return this.current;
  }

  increment(): number {
    if (this.current < MAX_COUNTER) this.current++;
    if (this.current >= this.ceiling) this.reserve();
    return this.current;
  }

  reset(): void {
    this.current = 0;
    this.ceiling = 0;
    this.reserve();
  }

  /** Factory reset: forget the stored value entirely. */
  erase(): void {
    this.current = 0;
    this.ceiling = 0;
    this.store.delete(COUNTER_KEY);
  }

  /** On an orderly stop, store the exact value so the next boot continues without a gap. */
  flush(): void {
    this.ceiling = this.current;
    this.store.set(COUNTER_KEY, String(this.current));
  }

  private reserve(): void {
    this.ceiling = Math.min(MAX_COUNTER, this.current + COUNTER_RESERVE_BLOCK);
    this.store.set(COUNTER_KEY, String(this.ceiling));
  }
}
