/** Command-line options of `npm run sim`, parsed and checked before anything starts. */
import { isLoopbackAddress, isLoopbackHost, parseHostPort, type HostPort } from './loopback';
import { DEVICE_ID_RULE, chipIdFromDeviceId as sharedChipId } from '../shared/index';

export type Engine = 'node' | 'xs' | 'moddable';
export type Profile = 'host' | 'esp8266' | 'esp32';

export interface SimArgs {
  deviceId?: string;
  token?: string;
  relayUrl?: string;
  apiToken?: string;
  lanPort: number;
  httpPort: number;
  wol: HostPort;
  stateDir?: string;
  engine: Engine;
  profile: Profile;
  help: boolean;
}

export const DEFAULT_LAN_PORT = 9999;
export const DEFAULT_WOL_TARGET = '127.0.0.1:40000';
/** Firmware bounds (firmware/constants.ts, shared MIN_TOKEN_LENGTH) repeated here to fail fast on the command line. */
const TOKEN_MIN_CHARS = 32;
const TOKEN_MAX_CHARS = 128;
const API_TOKEN_MAX_CHARS = 128;
const RELAY_URL_MAX_CHARS = 127;

export const USAGE = `Usage: npm run sim -- [options]
  --device-id WL1A2B3C   device id = "WL" + chip id in hex (generated on first boot if omitted)
  --token <96 chars>     device token (generated and printed once on first boot if omitted)
  --relay ws://127.0.0.1:9009   relay URL; without it the cloud link is off (loopback only)
  --api-token sk-...     account API token for the relay (a v1.0 set-up); without it the board
                         claims: it prints CLAIM code=…, to enter with \`wakelink claim CODE\`
  --lan-port 9999        LAN command port (replaces port 99; 0 = any free port)
  --http-port 0          setup page port (replaces port 80; 0 = any free port)
  --wol 127.0.0.1:40000  where magic packets go (loopback only)
  --state ./sim-state    keep the flash in <dir>/preferences.json and the chip id in <dir>/hardware.json, so restarts behave like reboots
  --engine node|xs|moddable   run the firmware logic on Node (default), on a real XS engine
                         (xsnap), or run the real Moddable lin build (needs $MODDABLE)
  --profile host|esp8266|esp32   board profile (default host)`;

function port(value: string, flag: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new RangeError(`${flag} must be a port number 0..65535, got "${value}"`);
  return Number(value);
}

/** "WL" + uppercase hex without zero padding, exactly as the firmware derives it (shared/device-id.ts). */
export function chipIdFromDeviceId(deviceId: string): number {
  const chipId = sharedChipId(deviceId);
  if (chipId === null) throw new RangeError(`--device-id must be ${DEVICE_ID_RULE}, got "${deviceId}"`);
  return chipId;
}

function checkRelayUrl(url: string): string {
  if (url.length > RELAY_URL_MAX_CHARS) throw new RangeError(`--relay longer than ${RELAY_URL_MAX_CHARS} characters`);
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `wss://${url}`);
  } catch {
    throw new RangeError(`--relay is not a URL: "${url}"`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) throw new RangeError('--relay must be a ws://, wss://, http:// or https:// URL');
  if (!isLoopbackHost(parsed.hostname)) throw new RangeError(`--relay must point at loopback (127.0.0.1, ::1 or localhost), got "${parsed.hostname}"`);
  return url;
}

function checkToken(token: string): string {
  if (token.length < TOKEN_MIN_CHARS || token.length > TOKEN_MAX_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new RangeError(`--token must be ${TOKEN_MIN_CHARS}..${TOKEN_MAX_CHARS} printable ASCII characters without spaces`);
  }
  return token;
}

function checkApiToken(token: string): string {
  if (token.length === 0 || token.length > API_TOKEN_MAX_CHARS || /[\x00-\x20\x7f]/.test(token)) {
    throw new RangeError(`--api-token must be 1..${API_TOKEN_MAX_CHARS} characters without spaces or control characters`);
  }
  return token;
}

/** Parses argv (without node and script); throws RangeError with a message fit for the user. */
export function parseSimArgs(argv: readonly string[]): SimArgs {
  const args: SimArgs = {
    lanPort: DEFAULT_LAN_PORT,
    httpPort: 0,
    wol: parseHostPort(DEFAULT_WOL_TARGET, '--wol'),
    engine: 'node',
    profile: 'host',
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      args.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new RangeError(`${flag} needs a value`);
    switch (flag) {
      case '--device-id': chipIdFromDeviceId(value); args.deviceId = value; break;
      case '--token': args.token = checkToken(value); break;
      case '--relay': args.relayUrl = checkRelayUrl(value); break;
      case '--api-token': args.apiToken = checkApiToken(value); break;
      case '--lan-port': args.lanPort = port(value, flag); break;
      case '--http-port': args.httpPort = port(value, flag); break;
      case '--wol': {
        const target = parseHostPort(value, '--wol');
        if (!isLoopbackAddress(target.host)) {
          throw new RangeError(`--wol must be a loopback address (127.0.0.0/8 or ::1), got "${target.host}": magic packets never leave this machine`);
        }
        args.wol = target;
        break;
      }
      case '--state': if (value === '') throw new RangeError('--state needs a directory'); args.stateDir = value; break;
      case '--engine':
        if (value !== 'node' && value !== 'xs' && value !== 'moddable') throw new RangeError(`--engine must be node, xs or moddable, got "${value}"`);
        args.engine = value;
        break;
      case '--profile':
        if (value !== 'host' && value !== 'esp8266' && value !== 'esp32') throw new RangeError(`--profile must be host, esp8266 or esp32, got "${value}"`);
        args.profile = value;
        break;
      default: throw new RangeError(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return args;
}
