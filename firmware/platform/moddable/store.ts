/** Key-value store on Moddable `preference` (NVS on ESP32, a flash sector on ESP8266). */
import Preference from 'preference';
import type { KeyValueStore } from '../types';

export const PREFERENCE_DOMAIN = 'wakelink';

export function createPreferenceStore(domain = PREFERENCE_DOMAIN): KeyValueStore {
  return {
    get(key) {
      const value = Preference.get(domain, key);
      return typeof value === 'string' ? value : undefined;
    },
    set(key, value) {
      Preference.set(domain, key, value);
    },
    delete(key) {
      Preference.delete(domain, key);
    },
  };
}
