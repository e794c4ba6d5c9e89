/**
 * Board entry point (manifest "creation.main"): builds the Moddable platform and starts the device.
 * Settings come from the build (mcconfig `key=value`, manifest "config"); stored settings (the
 * setup page) win over them. The lin host build may override build settings per process
 * (platform/moddable/settings.ts).
 */
import { attachHost } from 'wakelink/host';
import { DEFAULT_HTTP_PORT, DEFAULT_LAN_PORT, DEFAULT_WOL_ADDRESS, DEFAULT_WOL_PORT } from './constants';
import { startDevice } from './device';
import type { DeviceProfile } from './platform/types';
import { reportFault } from './platform/moddable/guard';
import { createModdablePlatform } from './platform/moddable/index';
import { flagSetting, portSetting, textSetting } from './platform/moddable/settings';

const PROFILES: readonly DeviceProfile[] = ['esp8266', 'esp32', 'host'];

export default function main(): void {
  try {
    const profileName = textSetting('profile', 'esp8266');
    const profile = PROFILES.includes(profileName as DeviceProfile) ? (profileName as DeviceProfile) : 'esp8266';
    const stationIp = textSetting('station_ip');
    const platform = createModdablePlatform({
      sntpHost: textSetting('sntp'),
      hostClock: flagSetting('host_clock', false),
      ...(stationIp ? { stationIp } : {}),
    });
    const device = startDevice(platform, {
      profile,
      lanPort: portSetting('lan_port', DEFAULT_LAN_PORT),
      httpPort: portSetting('http_port', DEFAULT_HTTP_PORT),
      wolAddress: textSetting('wol_address') || DEFAULT_WOL_ADDRESS,
      wolPort: portSetting('wol_port', DEFAULT_WOL_PORT) || DEFAULT_WOL_PORT,
      // v1.0 sends magic packets from local port 9; the lin build lets the system choose.
      wolLocalPort: portSetting('wol_local_port', DEFAULT_WOL_PORT),
      defaults: {
        ssid: textSetting('ssid'),
        password: textSetting('password'),
        relayUrl: textSetting('relay_url'),
        apiToken: textSetting('api_token'),
        tlsVerify: flagSetting('tls_verify', true),
      },
    });
    attachHost(device, platform.logger);
  } catch (error) {
    // Nothing is running: say why on the console instead of aborting the machine.
    reportFault('device could not start', error);
  }
}
