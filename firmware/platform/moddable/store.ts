/** Key-value store on Moddable `preference` (NVS on ESP32, a flash sector on ESP8266). */
import Preference from 'preference';
import type { KeyValueStore } from '../types';

export const PREFERENCE_DOMAIN = 'wakelink';

export class PreferenceStore implements KeyValueStore {
  constructor(private readonly domain = PREFERENCE_DOMAIN) {}

  get(key: string): string | undefined {
    const value = Preference.get(this.domain, key);
    return typeof value === 'string' ? value : undefined;
  }

  set(key: string, value: string): void {
    Preference.set(this.domain, key, value);
  }

  delete(key: string): void {
    Preference.delete(this.domain, key);
  }
}
