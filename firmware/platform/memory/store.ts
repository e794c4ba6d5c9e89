/** Key-value store in RAM that enforces the limits of the seam (15-char keys, 63-char values). */
import type { KeyValueStore } from '../types';

const KEY = /^[a-z0-9_]{1,15}$/;
const MAX_VALUE_CHARS = 63;

export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  /** Number of `set` calls: a proxy for flash writes. */
  writes = 0;

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  set(key: string, value: string): void {
    if (!KEY.test(key)) throw new RangeError(`store key "${key}" is not 1-15 characters of [a-z0-9_]`);
    if (typeof value !== 'string' || value.length > MAX_VALUE_CHARS) throw new RangeError(`store value for "${key}" longer than ${MAX_VALUE_CHARS}`);
    this.writes++;
    this.data.set(key, value);
  }

  delete(key: string): void {
    this.data.delete(key);
  }
}
