/**
 * Board entry point (manifest "creation.main"): builds the Moddable platform and starts the device.
 * Settings come from the build (mcconfig `key=value`, manifest "config"); stored settings (the
 * setup page) win over them. The lin host build may override build settings per process
 * (platform/moddable/settings.ts).
 */
import { attachHost } from 'wakelink/host';
import { DEFAULT_HTTP_PORT, DEFAULT_LAN_PORT, DEFAULT_WOL_ADDRESS, DEFAULT_WOL_PORT } from './constants';
import { startDevice } from './device';
import type { DeviceOptions, DeviceProfile } from './platform/types';
import { reportFault } from './platform/moddable/guard';
import { createModdablePlatform, type ModdablePlatformOptions } from './platform/moddable/index';
import { flagSetting, portSetting, textSetting } from './platform/moddable/settings';

const PROFILES: readonly DeviceProfile[] = Object.freeze(['esp8266', 'esp32', 'host']);

/** Everything startDevice is told, from the build settings (its own frame: see main). */
function deviceOptions(): DeviceOptions {
  const profileName = textSetting('profile', 'esp8266');
  return {
    profile: PROFILES.includes(profileName as DeviceProfile) ? (profileName as DeviceProfile) : 'esp8266',
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
  };
}

function platformOptions(): ModdablePlatformOptions {
  const stationIp = textSetting('station_ip');
  return {
    sntpHost: textSetting('sntp'),
    hostClock: flagSetting('host_clock', false),
    crypto: textSetting('crypto') === 'reference' ? 'reference' : 'native',
    ...(stationIp ? { stationIp } : {}),
  };
}

/**
 * The option objects are built in helpers that return before the device starts: built here, their
 * temporaries would sit under the whole boot on the stack (the ESP8266 has 288 slots of it).
 */
export default function main(): void {
  try {
    const platform = createModdablePlatform(platformOptions());
    const device = startDevice(platform, deviceOptions());
    platform.logger.log('info', `crypto: ${platform.crypto.name}`);
    attachHost(device, platform.logger);
  } catch (error) {
    // Nothing is running: say why on the console instead of aborting the machine.
    reportFault('device could not start', error);
  }
}
