/**
 * Claiming boards and their credentials from the command line (issue 14): `wakelink claim CODE`
 * binds the board that shows CODE to your relay account (the relay hands the board its own
 * credential: no token is copied anywhere), and `wakelink credentials` lists which boards have
 * their own credential and which still use an account token, revokes one, or rotates one.
 */
import { stringOption } from './args';
import type { CommandDef, Context } from './context';
import { usageError } from './errors';
import { printable, RELAY_HELP, RELAY_OPTIONS } from './endpoint-commands';
import { checkDeviceId, MAX_NAME_CHARS } from './management';
import { callRelay, expectOk } from './relay-client';
import { apiTokenForRelay, pickRelay, timeout } from './relay-commands';
import { DEFAULT_TCP_PORT, DeviceStore, deviceIdOf, swapScheme, type DeviceEntry } from './store';
import { formatTable } from './table';

const ACCOUNT_TOKEN_NOTE = 'uses an account token: re-claim to restrict';

const claim: CommandDef = {
  name: 'claim',
  aliases: [],
  usage: 'wakelink claim <code> [--name N]',
  summary: 'claim the board that shows this 6-digit code: it joins your relay account with its own credential',
  details: 'A board with a relay URL and no token prints `CLAIM code=…` on its serial console and shows the code on its setup page. '
    + 'The relay hands the board its credential itself; nothing secret passes through this CLI. With --name the board is also saved '
    + 'here as a cloud device of that name (add its device token with `wakelink update <name> --token …`). '
    + 'A code is valid 10 minutes and once; a wrong or expired one is "Invalid or expired claim code".',
  options: { ...RELAY_OPTIONS, name: { type: 'string' } },
  optionHelp: [...RELAY_HELP, ['--name N', 'name the board on the relay and save it under this name in devices.json']],
  async run(ctx) {
    const [code, extra] = ctx.positionals;
    if (code === undefined) throw usageError('claim needs the 6-digit code the board shows');
    if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
    if (!/^\d{6}$/.test(code.replace(/[\s-]/g, ''))) throw usageError(`a claim code is 6 digits (got "${printable(code)}")`);
    const name = stringOption(ctx.values, 'name');
    if (name !== undefined && (name.length === 0 || name.length > MAX_NAME_CHARS)) throw usageError(`--name must be 1 to ${MAX_NAME_CHARS} characters`);
    const relay = pickRelay(ctx);
    const apiToken = await apiTokenForRelay(ctx, relay);
    const answer = expectOk(await callRelay(relay, {
      method: 'POST', path: '/api/claim', bearer: apiToken, body: { code: code.replace(/[\s-]/g, ''), ...(name === undefined ? {} : { name }) }, timeoutMs: timeout(ctx),
    }), 'claiming the board');
    const deviceId = checkDeviceId(String(answer.device_id));
    if (name !== undefined) {
      const store = DeviceStore.load(ctx.home);
      const entry: DeviceEntry = store.has(name) ? store.get(name) : { port: DEFAULT_TCP_PORT, cloud: true, device_id: deviceId, added: Date.now() / 1000 };
      Object.assign(entry, { cloud: true, device_id: deviceId, http_url: relay, wss_url: swapScheme(relay), api_token: apiToken });
      store.set(name, entry);
      store.save();
    }
    // A re-claim replaced any earlier credential of the board (whatever used it is disconnected).
    const how = answer.created === false ? 're-claimed' : 'claimed';
    return {
      json: { ok: true, relay, device_id: deviceId, name: answer.name ?? null, endpoint: answer.endpoint ?? null, created: answer.created !== false, saved_as: name ?? null },
      lines: [`${how} ${deviceId} on ${relay}${name === undefined ? '' : ` and saved it as "${name}"`}; the board now connects with its own${how === 're-claimed' ? ', new' : ''} credential`],
    };
  },
};

interface CredentialView { device_id?: unknown; name?: unknown; online?: unknown; uses_account_token?: unknown; credential?: { prefix?: unknown; created_at?: unknown; last_used_at?: unknown } | null }

/** A saved device's name or a WL… id → the device id. */
function deviceRef(ctx: Context, ref: string): string {
  const store = DeviceStore.load(ctx.home);
  return checkDeviceId(store.has(ref) ? deviceIdOf(ref, store.get(ref)) : ref);
}

const credentials: CommandDef = {
  name: 'credentials',
  aliases: ['creds'],
  usage: 'wakelink credentials [list | revoke <device> | rotate <device>]',
  summary: 'which boards have their own credential; revoke or rotate one',
  details: 'A claimed board has its own credential, good for its own device socket only. A board without one '
    + `is a v1.0 set-up on an account API token (listed as "${ACCOUNT_TOKEN_NOTE}"). `
    + '`revoke` ends the credential at once: the board is disconnected and shows a new claim code. `rotate` is the same followed by '
    + '`wakelink claim` with that new code: the relay only ever sends a credential to a board whose code its owner entered. <device> is a saved name or a WL… id.',
  options: { ...RELAY_OPTIONS },
  optionHelp: [...RELAY_HELP],
  async run(ctx) {
    const [sub, ref, extra] = ctx.positionals;
    const relay = pickRelay(ctx);
    const bearer = await apiTokenForRelay(ctx, relay);
    if (sub === undefined || sub === 'list' || sub === 'ls') {
      if (ref !== undefined) throw usageError(`unexpected argument "${ref}"`);
      const answer = expectOk(await callRelay(relay, { method: 'GET', path: '/api/credentials', bearer, timeoutMs: timeout(ctx) }), 'listing credentials');
      const list = (Array.isArray(answer.devices) ? answer.devices : []) as CredentialView[];
      const rows = list.map((d) => [
        printable(d.device_id), printable(d.name), d.online === true ? 'yes' : 'no',
        d.credential ? `own credential ${printable(d.credential.prefix)}…` : ACCOUNT_TOKEN_NOTE,
        printable(d.credential?.last_used_at, d.credential ? 'never' : '-'),
      ]);
      return {
        json: { ok: true, relay, devices: list },
        lines: rows.length > 0 ? formatTable(['DEVICE ID', 'NAME', 'ONLINE', 'AUTHENTICATES WITH', 'LAST USED'], rows) : [`no devices on ${relay}`],
      };
    }
    if (sub !== 'revoke' && sub !== 'rotate') throw usageError(`unknown credentials subcommand "${sub}" (list, revoke, rotate)`);
    if (ref === undefined) throw usageError(`credentials ${sub} needs a device (a saved name or a WL… id)`);
    if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
    const deviceId = deviceRef(ctx, ref);
    const answer = expectOk(await callRelay(relay, {
      method: 'DELETE', path: `/api/devices/${encodeURIComponent(deviceId)}/credential`, bearer, timeoutMs: timeout(ctx),
    }), `revoking the credential of ${deviceId}`);
    const closed = typeof answer.sockets_closed === 'number' ? answer.sockets_closed : 0;
    const lines = [`revoked the credential of ${deviceId}${closed > 0 ? ' and disconnected the board' : ''}`];
    if (sub === 'rotate') lines.push('the board now shows a new claim code (serial console, setup page): run `wakelink claim CODE` to give it its new credential');
    return { json: { ok: true, relay, device_id: deviceId, revoked: true, sockets_closed: closed, rotate: sub === 'rotate' }, lines };
  },
};

export const CLAIM_COMMANDS: readonly CommandDef[] = [claim, credentials];
