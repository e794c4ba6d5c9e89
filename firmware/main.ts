/**
 * Board entry point (manifest "creation.main"): builds the Moddable platform and starts the device.
 * Build-time settings come from mcconfig `key=value` arguments (see manifest.json "config").
 */
import config from 'mc/config';
import { DEFAULT_WOL_ADDRESS, DEFAULT_WOL_PORT } from './constants';
import { startDevice } from './device';
import type { DeviceProfile } from './platform/types';
import { createModdablePlatform } from './platform/moddable/index';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const PROFILES: readonly DeviceProfile[] = ['esp8266', 'esp32', 'host'];

export default function main(): void {
  const profile = PROFILES.includes(config.profile as DeviceProfile) ? (config.profile as DeviceProfile) : 'esp8266';
  const platform = createModdablePlatform({ sntpHost: text(config.sntp) });
  const wolPort = Number(config.wol_port);
  startDevice(platform, {
    profile,
    wolAddress: text(config.wol_address) || DEFAULT_WOL_ADDRESS,
    wolPort: Number.isInteger(wolPort) && wolPort > 0 && wolPort < 65536 ? wolPort : DEFAULT_WOL_PORT,
    // v1.0 sends magic packets from local port 9.
    wolLocalPort: DEFAULT_WOL_PORT,
    defaults: {
      ssid: text(config.ssid),
      password: text(config.password),
      relayUrl: text(config.relay_url),
      apiToken: text(config.api_token),
      // mcconfig passes key=value settings as strings.
      tlsVerify: config.tls_verify !== false && config.tls_verify !== 'false' && config.tls_verify !== '0',
    },
  });
}
