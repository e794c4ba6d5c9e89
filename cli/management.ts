import { stringOption } from './args';
import { usageError } from './errors';
import type { CommandDef, Context } from './context';
import { parseRelayUrl } from './relays';
import { formatTable } from './table';
import { DEFAULT_TCP_PORT, DeviceStore, chooseTransport, relayBases, swapScheme, type DeviceEntry } from './store';
import { DEVICE_ID_RULE, MIN_TOKEN_LENGTH, isDeviceId } from '../shared/index';

/** Values that mean "remove this setting" in `update`, as in v1.0. */
const CLEAR_WORDS = new Set(['none', 'clear', '-']);
export const MAX_NAME_CHARS = 64;

function needName(ctx: Context, command: string): string {
  const name = ctx.positionals[0];
  if (name === undefined) throw usageError(`${command} needs a device name (see \`wakelink ${command} --help\`)`);
  if (ctx.positionals.length > 1) throw usageError(`unexpected argument "${ctx.positionals[1]}" (options are written --name value)`);
  if (name.length > MAX_NAME_CHARS || /[\x00-\x1f\x7f]/.test(name)) throw usageError(`device name must be at most ${MAX_NAME_CHARS} printable characters`);
  return name;
}

export function checkToken(token: string): string {
  if (token.length < MIN_TOKEN_LENGTH) throw usageError(`device token must be at least ${MIN_TOKEN_LENGTH} characters (WakeLink devices refuse shorter ones)`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw usageError('device token must be printable ASCII without spaces');
  return token;
}

export function checkDeviceId(id: string): string {
  // The one rule the firmware, the simulator and the relay apply too (shared/device-id.ts).
  if (!isDeviceId(id)) throw usageError(`device id "${id}" must be ${DEVICE_ID_RULE}`);
  return id;
}

function checkPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65535) throw usageError(`port must be a number from 1 to 65535 (got "${text}")`);
  return port;
}

function checkUrl(text: string, schemes: readonly string[], option: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${option} "${text}" is not a URL`);
  }
  if (!schemes.includes(url.protocol)) throw usageError(`${option} must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  return text.replace(/\/+$/, '');
}

function checkProtocol(text: string): 'http' | 'wss' {
  if (text !== 'http' && text !== 'wss') throw usageError(`--protocol takes http or wss (got "${text}")`);
  return text;
}

/** Public view of an entry: never the tokens themselves. */
export function describeEntry(name: string, entry: DeviceEntry): Record<string, unknown> {
  const transport = chooseTransport(entry);
  const bases = relayBases(entry);
  return {
    name,
    device_id: typeof entry.device_id === 'string' ? entry.device_id : name,
    transport,
    ip: entry.ip,
    port: entry.port,
    http_url: bases.httpBase,
    wss_url: bases.wssBase,
    protocol: entry.protocol,
    token_set: typeof entry.token === 'string' && entry.token.length > 0,
    api_token_set: typeof entry.api_token === 'string' && entry.api_token.length > 0,
  };
}

function address(view: Record<string, unknown>): string {
  if (view.transport === 'tcp') return view.ip ? `${String(view.ip)}:${String(view.port ?? DEFAULT_TCP_PORT)}` : '(no ip)';
  return String(view.transport === 'wss' ? view.wss_url : view.http_url);
}

const ENTRY_OPTIONS = {
  token: { type: 'string' },
  ip: { type: 'string' },
  port: { type: 'string' },
  relay: { type: 'string' },
  'http-url': { type: 'string' },
  'wss-url': { type: 'string' },
  protocol: { type: 'string' },
  'device-id': { type: 'string' },
  'api-token': { type: 'string' },
} as const;

const ENTRY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['--token TOKEN', 'device token (at least 32 characters)'],
  ['--ip ADDRESS', 'LAN address of the device (TCP)'],
  ['--port PORT', `LAN port (default ${DEFAULT_TCP_PORT})`],
  ['--relay URL', 'relay base URL; sets --http-url and --wss-url together'],
  ['--http-url URL', 'relay HTTP base (push/pull)'],
  ['--wss-url URL', 'relay WebSocket base'],
  ['--protocol http|wss', 'cloud transport when the device has a relay URL (default http)'],
  ['--device-id ID', 'device id, e.g. WL35080814 (default: the name)'],
  ['--api-token TOKEN', 'relay API token for this device (default: from `wakelink login`)'],
];

/** Applies the entry options in place; `clearable` enables the v1.0 none/clear/- words. */
function applyEntryOptions(entry: DeviceEntry, values: Context['values'], clearable: boolean): number {
  let changes = 0;
  const take = (option: string, apply: (value: string | undefined) => void): void => {
    const raw = stringOption(values, option);
    if (raw === undefined) return;
    changes++;
    apply(clearable && CLEAR_WORDS.has(raw.toLowerCase()) ? undefined : raw);
  };
  const setOrDelete = (key: keyof DeviceEntry & string, value: unknown): void => {
    if (value === undefined) delete entry[key];
    else entry[key] = value;
  };
  take('token', (v) => {
    if (v === undefined) throw usageError('the token cannot be cleared; remove the device instead');
    entry.token = checkToken(v);
  });
  take('ip', (v) => setOrDelete('ip', v));
  take('port', (v) => {
    const port = v === undefined ? 0 : checkPort(v);
    setOrDelete('port', port === 0 ? undefined : port);
  });
  take('relay', (v) => {
    if (v === undefined) {
      delete entry.http_url;
      delete entry.wss_url;
      delete entry.url;
      return;
    }
    const base = parseRelayUrl(v);
    entry.http_url = base;
    entry.wss_url = swapScheme(base);
  });
  take('http-url', (v) => setOrDelete('http_url', v === undefined ? undefined : checkUrl(v, ['http:', 'https:'], '--http-url')));
  take('wss-url', (v) => setOrDelete('wss_url', v === undefined ? undefined : checkUrl(v, ['ws:', 'wss:'], '--wss-url')));
  take('protocol', (v) => setOrDelete('protocol', v === undefined ? undefined : checkProtocol(v)));
  take('device-id', (v) => {
    if (v === undefined) throw usageError('the device id cannot be cleared');
    entry.device_id = checkDeviceId(v);
  });
  take('api-token', (v) => setOrDelete('api_token', v));
  const bases = relayBases(entry);
  entry.cloud = Boolean(bases.httpBase);
  return changes;
}

const add: CommandDef = {
  name: 'add',
  aliases: [],
  usage: 'wakelink add <name> --token TOKEN (--ip ADDRESS [--port PORT] | --relay URL) [options]',
  summary: 'save a device in devices.json',
  details: 'The v1.0 form works too: wakelink add <name> token TOKEN ip ADDRESS [port PORT] (or http-url/wss-url URL, device-id ID, api-token TOKEN).',
  options: { ...ENTRY_OPTIONS, force: { type: 'boolean' } },
  optionHelp: [...ENTRY_HELP, ['--force', 'replace an existing device of the same name']],
  async run(ctx) {
    const name = needName(ctx, 'add');
    const store = DeviceStore.load(ctx.home);
    if (store.has(name) && ctx.values.force !== true) throw usageError(`a device named "${name}" exists; use \`wakelink update ${name} ...\` or --force`);
    if (stringOption(ctx.values, 'token') === undefined) throw usageError('add needs --token (the device token from the serial log or setup page)');
    // Key order as v1.0 writes it: token, port, cloud, device_id, added, then the optional keys.
    const entry: DeviceEntry = { token: '', port: DEFAULT_TCP_PORT, cloud: false, device_id: name, added: Date.now() / 1000 };
    applyEntryOptions(entry, ctx.values, false);
    const bases = relayBases(entry);
    if (!entry.ip && !bases.httpBase) throw usageError('add needs --ip (LAN) or --relay/--http-url/--wss-url (cloud)');
    store.set(name, entry);
    store.save();
    const view = describeEntry(name, entry);
    return { json: { ok: true, added: view }, lines: [`saved "${name}" (${String(view.device_id)}) via ${String(view.transport)} ${address(view)} in ${store.path}`] };
  },
};

const list: CommandDef = {
  name: 'list',
  aliases: ['ls', 'l'],
  usage: 'wakelink list',
  summary: 'show saved devices (tokens are never printed)',
  options: {},
  async run(ctx) {
    if (ctx.positionals.length > 0) throw usageError(`unexpected argument "${ctx.positionals[0]}"`);
    const store = DeviceStore.load(ctx.home);
    const views: Record<string, unknown>[] = [];
    const rows: string[][] = [];
    const skipped: string[] = [];
    for (const name of store.names()) {
      const raw = store.raw(name);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        skipped.push(`"${name}" in ${store.path} is not a device entry (left untouched)`);
        continue;
      }
      const view = describeEntry(name, raw as DeviceEntry);
      views.push(view);
      rows.push([name, String(view.device_id), String(view.transport), address(view), view.token_set ? 'saved' : 'missing']);
    }
    const lines = rows.length > 0
      ? formatTable(['NAME', 'DEVICE ID', 'VIA', 'ADDRESS', 'TOKEN'], rows)
      : [`no devices saved in ${store.path}; add one with \`wakelink add --help\``];
    lines.push(...skipped);
    return { json: { ok: true, path: store.path, devices: views }, lines };
  },
};

const update: CommandDef = {
  name: 'update',
  aliases: ['set', 'edit'],
  usage: 'wakelink update <name> [--ip ADDRESS] [--port PORT] [--token TOKEN] [--relay URL] ...',
  summary: 'change settings of a saved device',
  details: 'A value of none, clear or - removes --ip, --relay, --http-url, --wss-url, --api-token or --protocol; --port 0 removes the port. Keys this tool does not know are kept. '
    + 'The v1.0 form works too: wakelink update <name> port 5000 ip none.',
  options: ENTRY_OPTIONS,
  optionHelp: ENTRY_HELP,
  async run(ctx) {
    const name = needName(ctx, 'update');
    const store = DeviceStore.load(ctx.home);
    const entry = store.get(name);
    const changes = applyEntryOptions(entry, ctx.values, true);
    if (changes === 0) throw usageError('nothing to change: give at least one option (see `wakelink update --help`)');
    store.save();
    const view = describeEntry(name, entry);
    return { json: { ok: true, updated: view }, lines: [`updated "${name}": ${String(view.transport)} ${address(view)}`] };
  },
};

const remove: CommandDef = {
  name: 'remove',
  aliases: ['rm', 'delete'],
  usage: 'wakelink remove <name>',
  summary: 'forget a saved device (local only; the relay keeps its registration)',
  options: {},
  async run(ctx) {
    const name = needName(ctx, 'remove');
    const store = DeviceStore.load(ctx.home);
    store.remove(name);
    store.save();
    return { json: { ok: true, removed: name }, lines: [`removed "${name}" from ${store.path}`] };
  },
};

export const MANAGEMENT_COMMANDS: readonly CommandDef[] = [add, list, update, remove];
