import { hostname } from 'node:os';
import { stringOption } from './args';
import type { CommandDef, Context } from './context';
import { CliError, usageError } from './errors';
import { writeTextFileAtomic } from './files';
import { checkDeviceId, checkToken, MAX_NAME_CHARS } from './management';
import { callRelay, expectOk } from './relay-client';
import { apiTokenForBoards, bearerForRelay, sessionCredential } from './relay-auth';
import { RelayStore, parseRelayUrl, type RelayCredential } from './relays';
import { DEFAULT_TCP_PORT, DeviceStore, relayBases, swapScheme, type DeviceEntry } from './store';

/** Budget for one management call to the relay. */
export const RELAY_CALL_TIMEOUT_MS = 15_000;
export const MAX_PASSWORD_CHARS = 1024;
/** The relay's limit on API token names. */
export const TOKEN_NAME_MAX_CHARS = 64;

export function timeout(ctx: Context): number {
  return ctx.flags.timeoutMs ?? RELAY_CALL_TIMEOUT_MS;
}

/** The relay a command talks to: --relay, else the device's own, else the last one logged in to. */
export function pickRelay(ctx: Context, entry?: DeviceEntry): string {
  const given = stringOption(ctx.values, 'relay');
  if (given) return parseRelayUrl(given);
  const own = entry ? relayBases(entry).httpBase : undefined;
  if (own) return own;
  const fallback = RelayStore.load(ctx.home).defaultRelay();
  if (fallback) return fallback;
  throw usageError('no relay given: pass --relay URL (or run `wakelink login --relay URL` once)');
}

/** The bearer for this CLI's own calls (a session's access token is refreshed when it expired). */
export function apiTokenForRelay(ctx: Context, relay: string): Promise<string> {
  return bearerForRelay(ctx, relay);
}

async function readPassword(ctx: Context): Promise<string> {
  let password: string | undefined;
  if (ctx.values['password-stdin'] === true) password = (await ctx.readStdin()).replace(/\r?\n$/, '');
  else password = await ctx.promptSecret('Password: ');
  if (password === undefined) throw usageError('no terminal to ask for the password: pipe it with --password-stdin');
  if (password.length === 0 || password.length > MAX_PASSWORD_CHARS) throw usageError('empty or overlong password');
  return password;
}

/**
 * Username+password → a login session (short-lived access JWT + single-use refresh token, saved
 * and never printed). A relay without sessions (no refresh token) gets the older flow: the JWT
 * makes a long-lived, revocable API token named after this machine.
 */
async function loginWithPassword(ctx: Context, relay: string, username: string): Promise<RelayCredential> {
  const password = await readPassword(ctx);
  let response;
  try {
    response = await callRelay(relay, { method: 'POST', path: '/auth/login', body: { username, password }, timeoutMs: timeout(ctx) });
  } catch (error) {
    if (error instanceof CliError && error.code === 'RELAY_AUTH') throw new CliError('RELAY_AUTH', `the relay ${relay} refused the login: wrong username or password`);
    throw error;
  }
  if (response.status === 429) throw new CliError('RELAY_ERROR', `the relay ${relay} is throttling logins; wait a minute and retry`);
  const login = expectOk(response, 'login');
  if (typeof login.refresh_token === 'string') return sessionCredential(login, relay, username);
  const jwt = login.access_token;
  if (typeof jwt !== 'string') throw new CliError('RELAY_ERROR', `the relay ${relay} answered the login without an access_token`);
  const created = await callRelay(relay, {
    method: 'POST', path: '/api/tokens', bearer: jwt, body: { name: `wakelink-cli@${hostname()}`.slice(0, TOKEN_NAME_MAX_CHARS) }, timeoutMs: timeout(ctx),
  });
  if (created.status >= 200 && created.status < 300) {
    const body = created.body as Record<string, unknown>;
    const token = [body?.token, body?.api_token].find((value) => typeof value === 'string');
    if (typeof token === 'string') return { api_token: token, kind: 'api_token', username, saved: Date.now() / 1000 };
  }
  // A relay without a token API: keep the JWT until it expires.
  const expiresIn = typeof login.expires_in === 'number' ? login.expires_in : 3600;
  ctx.warn(`the relay did not issue an API token (HTTP ${created.status}); saved the login session, valid ${Math.round(expiresIn / 60)} min`);
  return { api_token: jwt, kind: 'jwt', username, expires_at: Date.now() / 1000 + expiresIn, saved: Date.now() / 1000 };
}

const login: CommandDef = {
  name: 'login',
  aliases: [],
  usage: 'wakelink login --relay URL (--username NAME [--password-stdin] | --api-token TOKEN)',
  summary: 'log in to a relay (a login session) or save an API token for it',
  details: 'With --username the password is asked on the terminal (or read from stdin with --password-stdin) and the relay starts a login session: '
    + 'a short-lived access token and a single-use refresh token, which the CLI rotates by itself when the access token has expired (`wakelink sessions` lists and revokes sessions). '
    + 'Commands that hand a token to a board or to devices.json (register, provision) create an API token named after this machine the first time. '
    + 'With --api-token the token is checked and saved. Credentials are stored per relay URL in relays.json (mode 0600) next to devices.json and are never printed.',
  options: { relay: { type: 'string' }, username: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'api-token': { type: 'string' } },
  optionHelp: [
    ['--relay URL', 'relay base URL, e.g. https://relay.example.org'],
    ['--username NAME', 'relay account name'],
    ['--password-stdin', 'read the password from stdin instead of the terminal'],
    ['--api-token TOKEN', 'save an existing API token instead of logging in'],
  ],
  async run(ctx) {
    if (ctx.positionals.length > 0) throw usageError(`unexpected argument "${ctx.positionals[0]}"`);
    const relayText = stringOption(ctx.values, 'relay');
    if (!relayText) throw usageError('login needs --relay URL');
    const relay = parseRelayUrl(relayText);
    const username = stringOption(ctx.values, 'username');
    const given = stringOption(ctx.values, 'api-token');
    if ((username === undefined) === (given === undefined)) throw usageError('login needs exactly one of --username or --api-token');
    let credential: RelayCredential;
    if (given !== undefined) {
      expectOk(await callRelay(relay, { method: 'GET', path: '/api/devices', bearer: given, timeoutMs: timeout(ctx) }), 'checking the API token');
      credential = { api_token: given, kind: 'api_token', saved: Date.now() / 1000 };
    } else {
      credential = await loginWithPassword(ctx, relay, username!);
    }
    const relays = RelayStore.load(ctx.home);
    relays.set(relay, credential);
    relays.save();
    const who = credential.username ? ` as ${credential.username}` : '';
    const session = typeof credential.session_id === 'string' ? ` (session ${credential.session_id})` : '';
    return {
      json: { ok: true, relay, kind: credential.kind, username: credential.username ?? null, session_id: credential.session_id ?? null },
      lines: [`logged in to ${relay}${who}${session}; credentials saved in ${relays.path}`],
    };
  },
};

const register: CommandDef = {
  name: 'register',
  aliases: ['reg'],
  usage: 'wakelink register <name> --device-id ID [--relay URL] [--token TOKEN] [--protocol http|wss]',
  summary: 'register a device on your relay and save it as a cloud device',
  details: 'The relay is blind: only the device id is sent, never the device token. '
    + 'The token stays in devices.json (from --token or the existing entry).',
  options: {
    relay: { type: 'string' }, 'device-id': { type: 'string' }, token: { type: 'string' },
    protocol: { type: 'string' }, 'api-token': { type: 'string' },
  },
  optionHelp: [
    ['--device-id ID', 'the id the board prints, e.g. WL35080814 (default: the saved one)'],
    ['--relay URL', 'relay base URL (default: the device\'s relay, else the last login)'],
    ['--token TOKEN', 'device token to save locally (never sent to the relay)'],
    ['--protocol http|wss', 'how this CLI reaches the device through the relay (default http)'],
    ['--api-token TOKEN', 'use this API token instead of the saved login'],
  ],
  async run(ctx) {
    const [name, extra] = ctx.positionals;
    if (name === undefined) throw usageError('register needs a device name');
    if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
    if (name.length > MAX_NAME_CHARS) throw usageError(`device name must be at most ${MAX_NAME_CHARS} characters`);
    const store = DeviceStore.load(ctx.home);
    const existing = store.has(name) ? store.get(name) : undefined;
    const idText = stringOption(ctx.values, 'device-id') ?? (typeof existing?.device_id === 'string' ? existing.device_id : undefined);
    if (!idText) throw usageError('register needs --device-id (the WL… id the board prints)');
    const deviceId = checkDeviceId(idText);
    const token = stringOption(ctx.values, 'token');
    if (token !== undefined) checkToken(token);
    const protocol = stringOption(ctx.values, 'protocol');
    if (protocol !== undefined && protocol !== 'http' && protocol !== 'wss') throw usageError('--protocol takes http or wss');
    const relay = pickRelay(ctx, existing);
    // Saved into devices.json (the v1.0 CLI reads it there): a lasting API token, not a session's.
    const apiToken = await apiTokenForBoards(ctx, relay);

    const answer = expectOk(await callRelay(relay, {
      method: 'POST', path: '/api/register_device', bearer: apiToken,
      body: { device_id: deviceId, device_data: { name } },
      timeoutMs: timeout(ctx),
    }), `registering ${deviceId}`);

    const entry: DeviceEntry = existing ?? { port: DEFAULT_TCP_PORT, cloud: true, device_id: deviceId, added: Date.now() / 1000 };
    if (token !== undefined) entry.token = token;
    entry.cloud = true;
    entry.device_id = deviceId;
    entry.http_url = relay;
    entry.wss_url = swapScheme(relay);
    if (protocol !== undefined) entry.protocol = protocol;
    entry.api_token = apiToken;
    store.set(name, entry);
    store.save();
    if (typeof entry.token !== 'string') ctx.warn(`no device token saved for "${name}" yet: add it with \`wakelink update ${name} --token TOKEN\``);
    return {
      json: { ok: true, device: name, device_id: deviceId, relay, relay_status: answer.status ?? null },
      lines: [`registered ${deviceId} on ${relay} and saved it as "${name}"`],
    };
  },
};

/** mcconfig `key=value` names: the `config` keys of the root manifest.json the firmware reads as defaults. */
export const MCCONFIG_KEYS = { ssid: 'ssid', password: 'password', relayUrl: 'relay_url', apiToken: 'api_token' } as const;
export const MCCONFIG_PLATFORMS = ['esp32', 'esp'] as const;

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The API token a board should use: --api-token, else the device's own, else this machine's for that relay. */
function boardApiToken(ctx: Context, relay: string, entry?: DeviceEntry): Promise<string> {
  if (stringOption(ctx.values, 'api-token') === undefined && typeof entry?.api_token === 'string' && entry.api_token.length > 0) return Promise.resolve(entry.api_token);
  return apiTokenForBoards(ctx, relay);
}

const provision: CommandDef = {
  name: 'provision',
  aliases: [],
  usage: 'wakelink provision <name> [--format mcconfig|json] [--ssid NAME] [--platform esp32|esp] [--output FILE]',
  summary: 'print the settings to flash a board: device id, token, relay URL, API token',
  details: 'mcconfig prints the build command with the relay URL and API token (and Wi-Fi name) as key=value '
    + 'settings of manifest.json; json prints the same as a config file with device_id, device_token, relay_url and api_token. '
    + 'A WakeLink-XS board makes its own device token on first boot: device_token is null until you saved it '
    + '(`wakelink update <name> --token ...`). The output holds secrets: --output writes a 0600 file. Nothing is changed.',
  options: {
    format: { type: 'string' }, ssid: { type: 'string' }, output: { type: 'string' }, platform: { type: 'string' },
    relay: { type: 'string' }, 'device-id': { type: 'string' }, 'api-token': { type: 'string' },
  },
  optionHelp: [
    ['--format mcconfig|json', 'output style (default mcconfig)'],
    ['--ssid NAME', 'Wi-Fi network for the mcconfig line (the password is left as a placeholder)'],
    ['--platform esp32|esp', 'mcconfig platform (default esp32; esp = ESP8266)'],
    ['--device-id ID', 'device id, for a board not saved yet'],
    ['--relay URL', 'relay base URL (default: the device\'s relay, else the last login)'],
    ['--api-token TOKEN', 'API token for the board (default: the device\'s, else the saved login)'],
    ['--output FILE', 'write to FILE (mode 0600) instead of stdout'],
  ],
  async run(ctx) {
    const [name, extra] = ctx.positionals;
    if (name === undefined) throw usageError('provision needs a device name');
    if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
    const format = stringOption(ctx.values, 'format') ?? 'mcconfig';
    if (format !== 'mcconfig' && format !== 'json') throw usageError('--format takes mcconfig or json');
    const platform = stringOption(ctx.values, 'platform') ?? 'esp32';
    if (!(MCCONFIG_PLATFORMS as readonly string[]).includes(platform)) throw usageError('--platform takes esp32 or esp');
    const store = DeviceStore.load(ctx.home);
    const entry = store.has(name) ? store.get(name) : undefined;
    const idText = stringOption(ctx.values, 'device-id') ?? (typeof entry?.device_id === 'string' ? entry.device_id : undefined);
    if (!idText) throw usageError(`no device "${name}" saved: pass --device-id`);
    const deviceId = checkDeviceId(idText);
    const relay = pickRelay(ctx, entry);
    const apiToken = await boardApiToken(ctx, relay, entry);
    const token = typeof entry?.token === 'string' && entry.token.length > 0 ? entry.token : null;
    const relayUrl = swapScheme(relay);
    const ssid = stringOption(ctx.values, 'ssid');

    let text: string;
    if (format === 'json') {
      text = `${JSON.stringify({ device_id: deviceId, device_token: token, relay_url: relayUrl, api_token: apiToken, ...(ssid ? { ssid } : {}) }, null, 2)}\n`;
    } else {
      const settings = [
        ...(ssid ? [`${MCCONFIG_KEYS.ssid}=${shellQuote(ssid)}`, `${MCCONFIG_KEYS.password}='YOUR-WIFI-PASSWORD'`] : []),
        `${MCCONFIG_KEYS.relayUrl}=${shellQuote(relayUrl)}`,
        `${MCCONFIG_KEYS.apiToken}=${shellQuote(apiToken)}`,
      ];
      text = [
        `# WakeLink-XS board "${name}": device id ${deviceId}, relay ${relayUrl}`,
        token
          ? `# device token (secret): ${token}`
          : `# device token: printed by the board on its first boot; save it with \`wakelink update ${name} --token TOKEN\``,
        `mcconfig -d -m -p ${platform} ${settings.join(' ')}`,
        '',
      ].join('\n');
    }
    const output = stringOption(ctx.values, 'output');
    if (output) {
      writeTextFileAtomic(output, text);
      return { json: { ok: true, device: name, device_id: deviceId, written: output }, lines: [`wrote ${format} settings for "${name}" to ${output} (mode 0600)`] };
    }
    return {
      json: { ok: true, device: name, device_id: deviceId, device_token: token, relay_url: relayUrl, api_token: apiToken },
      lines: text.trimEnd().split('\n'),
    };
  },
};

export const RELAY_COMMANDS: readonly CommandDef[] = [login, register, provision];
