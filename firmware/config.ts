/** Device settings in the key-value store, with build-time (mcconfig) defaults underneath. */
import { API_TOKEN_MAX_CHARS, CLOUD_URL_MAX_CHARS, SSID_MAX_CHARS, WIFI_PASSWORD_MAX_CHARS } from './constants';
import type { DeviceOptions, KeyValueStore } from './platform/types';
import { deleteStoredText, readStoredText, writeStoredText } from './stored-text';

export interface DeviceConfig {
  ssid: string;
  wifiPassword: string;
  relayUrl: string;
  apiToken: string;
  cloudEnabled: boolean;
  webEnabled: boolean;
  tlsVerify: boolean;
}

const KEYS = Object.freeze({
  ssid: 'ssid',
  wifiPassword: 'wifi_pw',
  relayUrl: 'url',
  apiToken: 'api',
  cloudEnabled: 'cloud_en',
  webEnabled: 'web_en',
  tlsVerify: 'tls_verify',
} as const);

function flag(store: KeyValueStore, key: string, fallback: boolean): boolean {
  const value = store.get(key);
  if (value === '1') return true;
  if (value === '0') return false;
  return fallback;
}

export function loadConfig(store: KeyValueStore, defaults: DeviceOptions['defaults'] = {}): DeviceConfig {
  const relayUrl = readStoredText(store, KEYS.relayUrl) ?? defaults.relayUrl ?? '';
  return {
    ssid: store.get(KEYS.ssid) ?? defaults.ssid ?? '',
    wifiPassword: store.get(KEYS.wifiPassword) ?? defaults.password ?? '',
    relayUrl,
    apiToken: readStoredText(store, KEYS.apiToken) ?? defaults.apiToken ?? '',
    // v1.0 starts the cloud link whenever a URL is configured and the flag is set; default on when a URL exists.
    cloudEnabled: flag(store, KEYS.cloudEnabled, relayUrl.length > 0),
    webEnabled: flag(store, KEYS.webEnabled, true),
    tlsVerify: flag(store, KEYS.tlsVerify, defaults.tlsVerify ?? true),
  };
}

/** Checks lengths before anything is written, so a bad value changes nothing. Returns problems. */
export function validateConfig(config: DeviceConfig): string[] {
  const problems: string[] = [];
  if (config.ssid.length > SSID_MAX_CHARS) problems.push(`SSID longer than ${SSID_MAX_CHARS} characters`);
  if (config.wifiPassword.length > WIFI_PASSWORD_MAX_CHARS) problems.push(`Wi-Fi password longer than ${WIFI_PASSWORD_MAX_CHARS} characters`);
  if (config.wifiPassword.length > 0 && config.wifiPassword.length < 8) problems.push('Wi-Fi password shorter than 8 characters');
  if (config.relayUrl.length > CLOUD_URL_MAX_CHARS) problems.push(`relay URL longer than ${CLOUD_URL_MAX_CHARS} characters`);
  if (config.apiToken.length > API_TOKEN_MAX_CHARS) problems.push(`API token longer than ${API_TOKEN_MAX_CHARS} characters`);
  for (const [name, value] of [['SSID', config.ssid], ['relay URL', config.relayUrl], ['API token', config.apiToken]] as const) {
    if (/[\x00-\x1f\x7f]/.test(value)) problems.push(`${name} contains control characters`);
  }
  return problems;
}

export function saveConfig(store: KeyValueStore, config: DeviceConfig): void {
  const problems = validateConfig(config);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  store.set(KEYS.ssid, config.ssid);
  store.set(KEYS.wifiPassword, config.wifiPassword);
  writeStoredText(store, KEYS.relayUrl, config.relayUrl);
  writeStoredText(store, KEYS.apiToken, config.apiToken);
  saveFlags(store, config);
}

export function saveFlags(store: KeyValueStore, config: Pick<DeviceConfig, 'cloudEnabled' | 'webEnabled' | 'tlsVerify'>): void {
  store.set(KEYS.cloudEnabled, config.cloudEnabled ? '1' : '0');
  store.set(KEYS.webEnabled, config.webEnabled ? '1' : '0');
  store.set(KEYS.tlsVerify, config.tlsVerify ? '1' : '0');
}

/** Factory reset of settings (identity is cleared separately). */
export function clearConfig(store: KeyValueStore): void {
  for (const key of [KEYS.ssid, KEYS.wifiPassword, KEYS.cloudEnabled, KEYS.webEnabled, KEYS.tlsVerify]) store.delete(key);
  deleteStoredText(store, KEYS.relayUrl);
  deleteStoredText(store, KEYS.apiToken);
}
