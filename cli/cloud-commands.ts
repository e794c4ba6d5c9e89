/**
 * The v1.0 CLI's relay-side device commands (spec 6.2: `cloud-list`, `--cloud-list-devices`,
 * `--delete-device`), against the user's own relay instead of v1.0's hard-wired public one.
 */
import { stringOption } from './args';
import type { CommandDef, Context } from './context';
import { CliError, usageError } from './errors';
import { callRelay, expectOk } from './relay-client';
import { apiTokenForRelay, pickRelay, timeout } from './relay-commands';
import { DeviceStore, deviceIdOf, relayBases, type DeviceEntry } from './store';
import { formatTable } from './table';

const RELAY_OPTIONS = { relay: { type: 'string' }, 'api-token': { type: 'string' } } as const;
const RELAY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['--relay URL', 'relay base URL (default: the device\'s relay, else the last login)'],
  ['--api-token TOKEN', 'use this API token instead of the saved one'],
];

/** One device as /api/devices lists it (v1.0 shape); anything missing is shown as unknown. */
interface ListedDevice {
  device_id?: unknown;
  online?: unknown;
  last_seen?: unknown;
  poll_count?: unknown;
}

function text(value: unknown, fallback = '-'): string {
  return typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : fallback;
}

const cloudList: CommandDef = {
  name: 'cloud-list',
  aliases: ['cloud-ls'],
  usage: 'wakelink cloud-list [--relay URL] [--api-token TOKEN]',
  summary: 'list the devices your relay account holds, online or not',
  details: 'SAVED AS names the entries of devices.json with that device id. The relay never knows device tokens, so none are shown.',
  options: RELAY_OPTIONS,
  optionHelp: RELAY_HELP,
  async run(ctx) {
    if (ctx.positionals.length > 0) throw usageError(`unexpected argument "${ctx.positionals[0]}"`);
    const relay = pickRelay(ctx);
    const answer = expectOk(await callRelay(relay, { method: 'GET', path: '/api/devices', bearer: await apiTokenForRelay(ctx, relay), timeoutMs: timeout(ctx) }), 'listing devices');
    const listed = Array.isArray(answer.devices) ? (answer.devices as ListedDevice[]).filter((d) => d && typeof d === 'object') : [];
    const store = DeviceStore.load(ctx.home);
    const localNames = (deviceId: string): string[] => store.names().filter((name) => {
      const raw = store.raw(name);
      return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && deviceIdOf(name, raw as DeviceEntry) === deviceId;
    });
    const devices = listed.map((d) => ({
      device_id: text(d.device_id), online: d.online === true, last_seen: typeof d.last_seen === 'string' ? d.last_seen : null,
      poll_count: typeof d.poll_count === 'number' ? d.poll_count : null, saved_as: localNames(text(d.device_id)),
    }));
    const who = `${text(answer.user, 'this account')} on ${relay}: ${devices.length} of ${text(answer.devices_limit, '?')} devices`;
    const rows = devices.map((d) => [d.device_id, d.online ? 'yes' : 'no', d.last_seen ?? 'never', d.poll_count === null ? '-' : String(d.poll_count), d.saved_as.join(', ') || '-']);
    return {
      json: { ok: true, relay, user: answer.user ?? null, devices_limit: answer.devices_limit ?? null, devices },
      lines: [who, ...(rows.length > 0 ? formatTable(['DEVICE ID', 'ONLINE', 'LAST SEEN', 'POLLS', 'SAVED AS'], rows) : [])],
    };
  },
};

/** The relay settings of an entry; what remains is a LAN device (or a token kept for later). */
const RELAY_KEYS = ['http_url', 'wss_url', 'url', 'api_token', 'protocol'] as const;

const unregister: CommandDef = {
  name: 'unregister',
  aliases: ['cloud-delete'],
  usage: 'wakelink unregister <name> [--relay URL] [--api-token TOKEN]',
  summary: 'delete a device from your relay; the saved entry keeps its token',
  details: 'The relay forgets the device id and its queued commands. Locally only the relay settings are removed: '
    + 'the token and LAN address stay, so the device still works over the LAN and can be registered again '
    + '(v1.0\'s --delete-device removed the whole entry; `wakelink remove <name>` does that).',
  options: RELAY_OPTIONS,
  optionHelp: RELAY_HELP,
  async run(ctx: Context) {
    const [name, extra] = ctx.positionals;
    if (name === undefined) throw usageError('unregister needs a device name');
    if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
    const store = DeviceStore.load(ctx.home);
    const entry = store.get(name);
    const relay = pickRelay(ctx, entry);
    const own = relayBases(entry).httpBase === relay && typeof entry.api_token === 'string' && entry.api_token.length > 0 ? entry.api_token : undefined;
    const apiToken = stringOption(ctx.values, 'api-token') ?? own ?? await apiTokenForRelay(ctx, relay);
    const deviceId = deviceIdOf(name, entry);
    const answer = expectOk(await callRelay(relay, {
      method: 'POST', path: '/api/delete_device', bearer: apiToken, body: { device_id: deviceId }, timeoutMs: timeout(ctx),
    }), `deleting ${deviceId}`);
    if (answer.status !== 'device_deleted') throw new CliError('RELAY_ERROR', `the relay did not confirm deleting ${deviceId}`, { relay: answer });
    for (const key of RELAY_KEYS) delete entry[key];
    entry.cloud = false;
    store.save();
    const left = typeof entry.ip === 'string' && entry.ip.length > 0 ? `kept "${name}" as a LAN device` : `kept "${name}" (token only; \`wakelink remove ${name}\` forgets it)`;
    return { json: { ok: true, device: name, device_id: deviceId, relay }, lines: [`deleted ${deviceId} from ${relay}; ${left}`] };
  },
};

export const CLOUD_COMMANDS: readonly CommandDef[] = [cloudList, unregister];
