import type { CommandName, JsonObject } from '../shared/index';
import { ProtocolError, formatMac, parseMac, parseSecureOn } from '../shared/index';
import { usageError } from './errors';

/** How the words after the device name are read for one command. */
type ArgumentKind = 'none' | 'mac' | 'action' | 'counter';

export interface DeviceCommandSpec {
  name: string;
  aliases: readonly string[];
  summary: string;
  kind: ArgumentKind;
  /** Fixed wire command; `counter` picks counter_info or reset_counter from its argument. */
  wire?: CommandName;
  /** For the fixed-action aliases of v1.0 (`site-on`, `cloud-off`, ...). */
  fixedAction?: 'enable' | 'disable' | 'status';
  /** Extra usage text after `<device>`. */
  argsUsage?: string;
  /** Help paragraph for `wakelink <command> --help`. */
  details?: string;
}

/**
 * Every device command of the v1.0 CLI (spec 6.2) with its aliases, plus the two it never exposed
 * (`counter info|reset`, B15). `update` stays the management edit command, as in v1.0; OTA is `ota`.
 */
export const DEVICE_COMMANDS: readonly DeviceCommandSpec[] = [
  { name: 'ping', aliases: ['p', 'test'], summary: 'check that the device answers', kind: 'none', wire: 'ping' },
  { name: 'info', aliases: ['i', 'information', 'status'], summary: 'show device status (ip, ssid, rssi, cloud, heap)', kind: 'none', wire: 'info' },
  {
    name: 'wake', aliases: ['w', 'wol', 'wakeonlan'], summary: 'send a Wake-on-LAN magic packet to MAC, or to a stored target', kind: 'mac', wire: 'wake',
    argsUsage: '<MAC|target> [--secure-on PASSWORD] [--wait]',
    details: 'With a MAC address this is the v1.0 wake. With the name of a target stored on the board (`wakelink targets`), '
      + 'the board sends that target\'s magic packet and, when the target has an address, checks that it comes up; '
      + '--wait shows that check and exits 0 once the target answers, 8 if it never did within its wait time.',
  },
  { name: 'restart', aliases: ['r', 'reboot', 'reset'], summary: 'reboot the device (not a factory reset)', kind: 'none', wire: 'restart' },
  {
    name: 'ota', aliases: ['o', 'upgrade'], summary: 'send ota_start (v1.0 boards open OTA; WakeLink-XS boards only acknowledge it)', kind: 'none', wire: 'ota_start',
    details: 'Sends the v1.0 ota_start command. A v1.0 board then opens its OTA listener for a while. '
      + 'A WakeLink-XS board answers ota_ready but opens nothing: it has no OTA listener and no OTA password, '
      + 'so this command changes nothing on it. Update a WakeLink-XS board over USB with mcconfig (README, "OTA").',
  },
  { name: 'setup', aliases: ['s', 'config-mode'], summary: 'switch the device to its setup access point', kind: 'none', wire: 'open_setup' },
  { name: 'site', aliases: ['site-status', 'web-status'], summary: 'device web UI: on, off or status (default)', kind: 'action', wire: 'web_control', argsUsage: '[on|off|status]' },
  { name: 'site-on', aliases: ['enable-site', 'web-on'], summary: 'enable the device web UI', kind: 'none', wire: 'web_control', fixedAction: 'enable' },
  { name: 'site-off', aliases: ['disable-site', 'web-off'], summary: 'disable the device web UI', kind: 'none', wire: 'web_control', fixedAction: 'disable' },
  { name: 'cloud', aliases: [], summary: 'device relay link: on, off or status (default)', kind: 'action', wire: 'cloud_control', argsUsage: '[on|off|status]' },
  { name: 'cloud-on', aliases: ['enable-cloud'], summary: 'enable the relay link', kind: 'none', wire: 'cloud_control', fixedAction: 'enable' },
  { name: 'cloud-off', aliases: ['disable-cloud'], summary: 'disable the relay link', kind: 'none', wire: 'cloud_control', fixedAction: 'disable' },
  { name: 'cloud-status', aliases: [], summary: 'show the relay link state', kind: 'none', wire: 'cloud_control', fixedAction: 'status' },
  { name: 'crypto', aliases: ['crypto-info', 'security'], summary: 'show encryption state and request counter', kind: 'none', wire: 'crypto_info' },
  { name: 'update-token', aliases: ['ut', 'token-update', 'refresh-token'], summary: 'rotate the device token and save the new one', kind: 'none', wire: 'update_token' },
  { name: 'counter', aliases: [], summary: 'request counter: info (default) or reset', kind: 'counter', argsUsage: '[info|reset]' },
  { name: 'counter-info', aliases: [], summary: 'show the request counter', kind: 'none', wire: 'counter_info' },
  { name: 'counter-reset', aliases: ['reset-counter'], summary: 'reset the request counter', kind: 'none', wire: 'reset_counter' },
];

const BY_WORD = new Map<string, DeviceCommandSpec>();
for (const spec of DEVICE_COMMANDS) for (const word of [spec.name, ...spec.aliases]) BY_WORD.set(word, spec);

export function findDeviceCommand(word: string): DeviceCommandSpec | undefined {
  return BY_WORD.get(word);
}

export interface WireRequest {
  command: CommandName;
  data: JsonObject;
}

const ACTION_WORDS: Record<string, 'enable' | 'disable' | 'status'> = {
  on: 'enable', enable: 'enable', off: 'disable', disable: 'disable', status: 'status',
};

/** Turns the words after the device name into the inner command, rejecting anything left over. */
export function buildWireRequest(spec: DeviceCommandSpec, words: string[], secureOn?: string): WireRequest {
  const allowed = spec.kind === 'none' ? 0 : 1;
  if (words.length > allowed) throw usageError(`unexpected argument "${words[allowed]}" for ${spec.name}`);
  if (secureOn !== undefined && spec.kind !== 'mac') throw usageError('--secure-on only applies to wake');
  switch (spec.kind) {
    case 'none':
      if (spec.fixedAction) return { command: spec.wire!, data: { action: spec.fixedAction } };
      return { command: spec.wire!, data: {} };
    case 'mac': {
      const mac = words[0];
      if (mac === undefined) throw usageError('wake needs the MAC address of the machine to wake, e.g. AA:BB:CC:DD:EE:FF, or the name of a stored target');
      if (!looksLikeMac(mac) && TARGET_NAME.test(mac)) {
        if (secureOn !== undefined) throw usageError('--secure-on is stored with the target (`wakelink targets <device> set`), not given to wake');
        return { command: 'wake', data: { target: mac } };
      }
      const data: JsonObject = { mac: normaliseMac(mac) };
      if (secureOn !== undefined) data.secure_on = normaliseSecureOn(secureOn);
      return { command: 'wake', data };
    }
    case 'action': {
      const word = (words[0] ?? 'status').toLowerCase();
      const action = ACTION_WORDS[word];
      if (!action) throw usageError(`${spec.name} takes on, off or status (got "${words[0]}")`);
      return { command: spec.wire!, data: { action } };
    }
    case 'counter': {
      const word = (words[0] ?? 'info').toLowerCase();
      if (word === 'info') return { command: 'counter_info', data: {} };
      if (word === 'reset') return { command: 'reset_counter', data: {} };
      throw usageError(`counter takes info or reset (got "${words[0]}")`);
    }
  }
}

const TARGET_NAME = /^[A-Za-z0-9_.-]{1,16}$/;

/** Anything with the shape of a MAC is treated as one (and refused if malformed), never as a name. */
function looksLikeMac(text: string): boolean {
  return /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f]{12}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(text) || /[:]/.test(text);
}

/** Sent as AA:BB:CC:DD:EE:FF like v1.0, but a malformed MAC is refused here instead of silently not sent (B7). */
function normaliseMac(text: string): string {
  try {
    return formatMac(parseMac(text));
  } catch (error) {
    if (error instanceof ProtocolError) throw usageError(`"${text}" is not a MAC address (use AA:BB:CC:DD:EE:FF, AA-BB-CC-DD-EE-FF, AABB.CCDD.EEFF or AABBCCDDEEFF)`);
    throw error;
  }
}

function normaliseSecureOn(text: string): string {
  try {
    return formatMac(parseSecureOn(text));
  } catch (error) {
    if (error instanceof ProtocolError) throw usageError('--secure-on must be 6 bytes written like a MAC address, e.g. 01:23:45:67:89:AB');
    throw error;
  }
}
