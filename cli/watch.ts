/**
 * `wakelink watch` (issue 13): follows the account's boards (or chosen endpoints) live over the
 * relay's client socket: presence changes and events, one line each, as they happen. A board's
 * event whose content is a v1.0 packet sealed with a token saved in devices.json is opened here
 * (the relay could not); others are shown as sent.
 */
import WebSocket from 'ws';
import { openPacketText, toHex, type Envelope } from '../shared/index';
import { nodeCrypto } from '../node/crypto';
import { stringOption } from './args';
import type { CommandDef, Context } from './context';
import { RELAY_HELP, RELAY_OPTIONS, printable } from './endpoint-commands';
import { CliError, connectionError, usageError } from './errors';
import { keyFromToken } from './exchange';
import { bearerForRelay, usesLoginSession } from './relay-auth';
import { apiTokenForRelay, pickRelay } from './relay-commands';
import { DeviceStore, deviceIdOf, swapScheme, type DeviceEntry } from './store';
import { MAX_WS_FRAME_BYTES } from './transport/wss';

/** How long the relay may take to accept the socket and answer the subscription. */
const CONNECT_TIMEOUT_MS = 15_000;
const MAX_COUNT = 1_000_000;
const CONTENT_PREVIEW_CHARS = 300;
/** Renewals of an expired access token a watch makes per minute before it gives up. */
const RENEWALS_PER_MINUTE = 3;

interface Subscribed { endpoint: string; device_id?: string; kind: string; name: string; online: boolean }

/** Saved device tokens by device id, to open sealed board events. */
function savedKeys(ctx: Context): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  let store: DeviceStore;
  try {
    store = DeviceStore.load(ctx.home);
  } catch {
    return keys;
  }
  for (const name of store.names()) {
    const raw = store.raw(name);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || typeof (raw as DeviceEntry).token !== 'string') continue;
    try {
      keys.set(deviceIdOf(name, raw as DeviceEntry), keyFromToken(name, (raw as DeviceEntry).token));
    } catch {
      // A token this CLI cannot use is simply not used here.
    }
  }
  return keys;
}

/** The event's content for people: opened when it is a packet sealed with a saved token. */
function describeContent(content: unknown, deviceId: unknown, keys: Map<string, Uint8Array>): { text: string; opened: unknown } {
  const key = typeof deviceId === 'string' ? keys.get(deviceId) : undefined;
  if (key && content && typeof content === 'object' && typeof (content as Envelope).payload === 'string') {
    try {
      const { inner } = openPacketText({ key, packet: content as Envelope, crypto: nodeCrypto });
      return { text: `${printable(JSON.stringify(inner), '', CONTENT_PREVIEW_CHARS)} (opened)`, opened: inner };
    } catch {
      // Not sealed with the saved token: shown as sent.
    }
  }
  const text = JSON.stringify(content) ?? 'null';
  return { text: printable(text.length > CONTENT_PREVIEW_CHARS ? `${text.slice(0, CONTENT_PREVIEW_CHARS)}…` : text, '', CONTENT_PREVIEW_CHARS + 1), opened: undefined };
}

const watch: CommandDef = {
  name: 'watch',
  aliases: [],
  usage: 'wakelink watch [--endpoint E]... [--all] [--as ENDPOINT] [--count N]',
  summary: 'follow your boards live: presence changes and events, as they happen',
  details: 'Subscribes to every board of your relay account (or the --endpoint ones, or with --all every endpoint) and prints one line per '
    + 'change until interrupted, --count lines, or --timeout seconds (then it exits 0). With --json each line is the relay\'s frame as JSON '
    + '(an event opened with a saved device token gets "opened"), then a summary object.',
  options: { ...RELAY_OPTIONS, endpoint: { type: 'string', multiple: true }, all: { type: 'boolean' }, as: { type: 'string' }, count: { type: 'string' } },
  optionHelp: [
    ...RELAY_HELP,
    ['--endpoint E', 'follow this endpoint (id, device id or uuid); repeatable'],
    ['--all', 'follow every endpoint of the account, clients included'],
    ['--as ENDPOINT', 'connect as this registered endpoint (id or uuid) instead of a connection-scoped one'],
    ['--count N', 'stop after N presence or event lines'],
  ],
  async run(ctx) {
    if (ctx.positionals.length > 0) throw usageError(`unexpected argument "${ctx.positionals[0]}"`);
    const chosen = (ctx.values.endpoint as unknown as string[] | undefined) ?? [];
    if (chosen.length > 0 && ctx.values.all === true) throw usageError('use --endpoint or --all, not both');
    const countText = stringOption(ctx.values, 'count');
    if (countText !== undefined && (!/^[1-9][0-9]*$/.test(countText) || Number(countText) > MAX_COUNT)) throw usageError(`--count takes a whole number from 1 to ${MAX_COUNT}`);
    const count = countText === undefined ? Infinity : Number(countText);
    const relay = pickRelay(ctx);
    const token = await apiTokenForRelay(ctx, relay);
    const clientId = stringOption(ctx.values, 'as') ?? `cli_watch_${toHex(nodeCrypto.randomBytes(4))}`;
    const keys = savedKeys(ctx);
    const json = ctx.flags.json;
    const print = (line: string) => ctx.stdout.write(`${line}\n`);
    const names = new Map<string, string>();
    const label = (endpoint: unknown, deviceId: unknown) => `${printable(deviceId ?? endpoint)}${names.get(String(endpoint)) ? ` "${names.get(String(endpoint))}"` : ''}`;
    let seen = 0;

    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      let settled = false;
      let subscribed = false;
      /** Reconnections after the relay closed the watch because its access token expired. */
      const renewals: number[] = [];
      const finish = (error?: CliError) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(watchTimer);
        socket.removeAllListeners('close');
        socket.on('error', () => undefined);
        if (socket.readyState === WebSocket.OPEN) socket.close(1000);
        else socket.terminate();
        if (error) return reject(error);
        resolve({ json: { ok: true, relay, lines: seen }, lines: json ? [] : [`watched ${seen} change${seen === 1 ? '' : 's'}`] });
      };
      let connectTimer = setTimeout(() => finish(new CliError('TIMEOUT', `the relay ${relay} did not accept the watch within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      const watchTimer = ctx.flags.timeoutMs === undefined ? undefined : setTimeout(() => finish(), ctx.flags.timeoutMs);
      const counted = () => {
        seen += 1;
        if (seen >= count) finish();
      };
      /**
       * A password login's access token is short-lived: when the relay closes the watch because it
       * expired, the watch goes on with a refreshed one (at most RENEWALS_PER_MINUTE times a minute,
       * so a relay that keeps refusing ends it with its reason).
       */
      const renew = (why: CliError) => {
        const now = Date.now();
        while (renewals.length > 0 && renewals[0]! < now - 60_000) renewals.shift();
        if (settled || !usesLoginSession(ctx, relay) || renewals.length >= RENEWALS_PER_MINUTE) return finish(why);
        renewals.push(now);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        clearTimeout(connectTimer);
        connectTimer = setTimeout(() => finish(new CliError('TIMEOUT', `the relay ${relay} did not accept the renewed watch within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
        bearerForRelay(ctx, relay, { refresh: true, expired: current }).then((fresh) => {
          if (!settled) connect(fresh);
        }, (error: unknown) => finish(error instanceof CliError ? error : why));
      };
      let current = token;
      const connect = (bearer: string) => {
        current = bearer;
        socket = new WebSocket(`${swapScheme(relay)}/ws/client/${encodeURIComponent(clientId)}`, {
          headers: { Authorization: `Bearer ${bearer}` }, maxPayload: MAX_WS_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS,
        });
        socket.on('unexpected-response', (_req, res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          finish(new CliError(status === 401 || status === 403 ? 'RELAY_AUTH' : 'RELAY_ERROR', `the relay ${relay} refused the WebSocket (HTTP ${status})`));
        });
        socket.on('error', (error) => finish(connectionError(error, relay)));
        socket.on('close', (code, reason) => {
          const closed = new CliError(code === 1008 ? 'RELAY_AUTH' : 'CONNECTION_ERROR', `the relay ${relay} closed the watch (code ${code}${reason.length ? `: ${reason.toString()}` : ''})`);
          if (code === 1008 && reason.toString() === 'token expired') renew(closed);
          else finish(closed);
        });
        socket.on('message', (data, isBinary) => onFrame(data.toString(), isBinary));
      };
      const onFrame = (text: string, isBinary: boolean) => {
        if (isBinary) return;
        let frame: Record<string, unknown>;
        try {
          frame = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return;
        }
        if (frame.type === 'welcome') {
          socket.send(JSON.stringify({ type: 'subscribe', endpoints: ctx.values.all === true ? '*' : chosen.length > 0 ? chosen : 'boards' }));
        } else if (frame.type === 'subscribed') {
          clearTimeout(connectTimer);
          const list = (frame.endpoints as Subscribed[]) ?? [];
          for (const e of list) names.set(e.endpoint, printable(e.name, ''));
          // A renewed watch subscribes again without printing the list a second time.
          if (subscribed) {
            ctx.stderr.write('wakelink: the watch renewed its login and subscribed again (changes while it reconnected may be missed)\n');
            return;
          }
          subscribed = true;
          if (json) print(JSON.stringify(frame));
          else {
            print(`watching ${list.length} endpoint${list.length === 1 ? '' : 's'} on ${relay} (Ctrl-C to stop)`);
            for (const e of list) print(`  ${label(e.endpoint, e.device_id)}  ${e.online ? 'online' : 'offline'}`);
          }
        } else if (frame.type === 'presence') {
          print(json ? JSON.stringify(frame) : `${new Date(Number(frame.timestamp)).toISOString()}  ${label(frame.endpoint, frame.device_id)}  ${frame.online ? 'online' : 'offline'}`);
          counted();
        } else if (frame.type === 'event') {
          const content = describeContent(frame.content, frame.device_id, keys);
          print(json ? JSON.stringify(content.opened === undefined ? frame : { ...frame, opened: content.opened })
            : `${new Date(Number(frame.timestamp)).toISOString()}  ${label(frame.from, frame.device_id)}  event ${printable(frame.event)}  ${content.text}`);
          counted();
        } else if (frame.type === 'error' || frame.status === 'error') {
          finish(new CliError('RELAY_ERROR', `the relay ${relay} refused the watch: ${printable(frame.error)}${typeof frame.detail === 'string' ? ` (${printable(frame.detail)})` : ''}`, { relay: frame }));
        }
      };
      connect(token);
    });
  },
};

export const WATCH_COMMANDS: readonly CommandDef[] = [watch];
