/**
 * The key-value store of the lin host build (manifest: "firmware/platform/moddable/store" on lin):
 * one JSON object in `<mc/config file.root>preferences.json`, the simulator's state directory,
 * read when first used. The SDK's lin `preference` module reads its file in its module body, and
 * a preloaded image runs module bodies at build time: it never sees what an earlier run stored,
 * which a device that reboots cannot live with. Every write replaces the file through a temporary
 * name, so a killed process never leaves half a file. The ESP8266 Preference limits are enforced
 * (key: 1..15 of [a-z0-9_]; value: at most 63 characters), so what would fail on a board fails here.
 */
import { File } from 'file';
import config from 'mc/config';
import type { KeyValueStore } from '../types';

const FILE_NAME = 'preferences.json';
const KEY_MAX_CHARS = 15;
const VALUE_MAX_CHARS = 63;
const MAX_KEYS = 256;

function checkKey(key: string): void {
  if (key.length === 0 || key.length > KEY_MAX_CHARS || !/^[a-z0-9_]+$/.test(key)) throw new RangeError(`preference key "${key.slice(0, 32)}"`);
}

function read(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  if (!File.exists(path)) return values;
  const file = new File(path);
  let text: string;
  try {
    text = file.read(String);
  } finally {
    file.close();
  }
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError(`${path} does not hold a JSON object`);
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string' && value.length <= VALUE_MAX_CHARS && /^[a-z0-9_]{1,15}$/.test(key)) values[key] = value;
  }
  return values;
}

/** Same class name as store.ts: the manifest maps one module name to either file. */
export class PreferenceStore implements KeyValueStore {
  private readonly path: string;
  private values: Record<string, string> | null = null;

  constructor() {
    const root = (config as unknown as { file?: { root?: unknown } }).file?.root;
    this.path = (typeof root === 'string' ? root : './') + FILE_NAME;
  }

  get(key: string): string | undefined {
    checkKey(key);
    return this.load()[key];
  }

  set(key: string, value: string): void {
    checkKey(key);
    if (value.length > VALUE_MAX_CHARS) throw new RangeError(`preference "${key}": value longer than ${VALUE_MAX_CHARS} characters`);
    const current = this.load();
    if (current[key] === value) return;
    if (!(key in current) && Object.keys(current).length >= MAX_KEYS) throw new RangeError('preference store full');
    current[key] = value;
    this.save();
  }

  delete(key: string): void {
    checkKey(key);
    const current = this.load();
    if (!(key in current)) return;
    delete current[key];
    this.save();
  }

  private load(): Record<string, string> {
    return (this.values ??= read(this.path));
  }

  private save(): void {
    const temp = this.path + '.tmp';
    if (File.exists(temp)) File.delete(temp);
    const file = new File(temp, true);
    try {
      file.write(JSON.stringify(this.load()));
    } finally {
      file.close();
    }
    if (!File.rename(temp, FILE_NAME)) throw new Error(`cannot replace ${this.path}`);
  }
}
