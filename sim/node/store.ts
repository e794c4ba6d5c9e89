/**
 * The board's Preference store: keys of at most 15 characters of [a-z0-9_], string values of at
 * most 63 characters. The same limits are enforced here so a firmware bug that would fail on the
 * ESP8266 fails in the simulator too. With `--state` every write goes to a JSON file (written to a
 * temporary name and renamed, so a killed simulator never leaves half a file), like a flash write.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyValueStore } from '../../firmware/platform/types';

export const STORE_KEY_MAX_CHARS = 15;
export const STORE_VALUE_MAX_CHARS = 63;
/** Bound on the number of keys: the ESP8266 preference area is small. */
export const STORE_MAX_KEYS = 256;

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > STORE_KEY_MAX_CHARS || !/^[a-z0-9_]+$/.test(key)) {
    throw new RangeError(`preference key "${String(key).slice(0, 32)}" must be 1..${STORE_KEY_MAX_CHARS} characters of [a-z0-9_]`);
  }
}

export class MemoryStore implements KeyValueStore {
  protected readonly values = new Map<string, string>();

  get(key: string): string | undefined {
    checkKey(key);
    return this.values.get(key);
  }

  set(key: string, value: string): void {
    checkKey(key);
    if (typeof value !== 'string' || value.length > STORE_VALUE_MAX_CHARS) {
      throw new RangeError(`preference "${key}": value must be a string of at most ${STORE_VALUE_MAX_CHARS} characters`);
    }
    if (!this.values.has(key) && this.values.size >= STORE_MAX_KEYS) throw new RangeError(`preference store full (${STORE_MAX_KEYS} keys)`);
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    this.persist();
  }

  delete(key: string): void {
    checkKey(key);
    if (this.values.delete(key)) this.persist();
  }

  /** Copy of all entries, for tests and diagnostics. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.values);
  }

  protected persist(): void {}
}

export class JsonFileStore extends MemoryStore {
  constructor(private readonly file: string) {
    super();
    if (!existsSync(file)) return;
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file} does not hold a JSON object`);
    for (const [key, value] of Object.entries(parsed)) {
      checkKey(key);
      if (typeof value !== 'string' || value.length > STORE_VALUE_MAX_CHARS) throw new Error(`${file}: bad value for "${key}"`);
      this.values.set(key, value);
    }
  }

  protected override persist(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.snapshot(), null, 1) + '\n', { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
