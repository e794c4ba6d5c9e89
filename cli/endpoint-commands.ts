/**
 * The routing core from the command line (issue 13): `endpoints` (list with presence, add, rename,
 * remove) and `history` (the account's routed frames, the audit log of commands to boards).
 */
import { stringOption } from './args';
import type { CommandDef, Context } from './context';
import { CliError, usageError } from './errors';
import { callRelay, expectOk } from './relay-client';
import { apiTokenForRelay, pickRelay, timeout } from './relay-commands';
import { formatTable } from './table';

export const RELAY_OPTIONS = { relay: { type: 'string' }, 'api-token': { type: 'string' } } as const;
export const RELAY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['--relay URL', 'relay base URL (default: the last login)'],
  ['--api-token TOKEN', 'use this API token instead of the saved one'],
];
const KINDS = ['app', 'cli', 'host', 'client', 'browser'];
/** What `history --limit` may ask for (the relay's page bound). */
const HISTORY_PAGE_MAX = 200;

/** Relay-provided text for a terminal: no control characters (no escape sequences), bounded. */
export function printable(value: unknown, fallback = '-', max = 80): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value.length === 0) return fallback;
  return value.replace(/[\x00-\x1f\x7f-\x9f]/g, '?').slice(0, max);
}

async function relayCall(ctx: Context, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, what: string, body?: unknown) {
  const relay = pickRelay(ctx);
  const answer = expectOk(await callRelay(relay, { method, path, body, bearer: await apiTokenForRelay(ctx, relay), timeoutMs: timeout(ctx) }), what);
  return { relay, answer };
}

function parsePublicKey(text: string): { type: string; key: string } {
  const match = /^(ed25519|x25519):([A-Za-z0-9+/_=-]+)$/i.exec(text);
  if (!match) throw usageError('--public-key takes ed25519:KEY or x25519:KEY (the 32 raw bytes in base64 or base64url)');
  return { type: match[1]!.toLowerCase(), key: match[2]! };
}

interface EndpointView { id?: unknown; kind?: unknown; name?: unknown; device_id?: unknown; online?: unknown; last_seen?: unknown; uuid?: unknown; ephemeral?: unknown }

function endpointLine(e: EndpointView): string {
  return `${printable(e.id)} (${printable(e.kind)}${typeof e.device_id === 'string' ? ` ${e.device_id}` : ''}) "${printable(e.name, '')}"`;
}

const endpoints: CommandDef = {
  name: 'endpoints',
  aliases: ['eps'],
  usage: 'wakelink endpoints [add <name> [--kind K] [--uuid U] [--public-key TYPE:KEY] | rename <endpoint> <name> | remove <endpoint>]',
  summary: 'your relay account\'s endpoints (boards, apps, CLIs, …) with live presence; add, rename, remove',
  details: 'Without a subcommand, lists every endpoint and whether it is connected now (connection-scoped ones, such as a v1.0 CLI, while they are). '
    + '<endpoint> is an endpoint id (ep_…), a board\'s device id (WL…) or a uuid. Boards are added with `wakelink register`; removing one deletes the device on the relay. '
    + 'A registered endpoint connects as /ws/client/<its id or uuid> (e.g. `wakelink watch --as <id>`).',
  options: { ...RELAY_OPTIONS, kind: { type: 'string' }, uuid: { type: 'string' }, 'public-key': { type: 'string' } },
  optionHelp: [
    ...RELAY_HELP,
    ['--kind K', `for add: ${KINDS.join(', ')} (default cli)`],
    ['--uuid U', 'for add: a uuid of your choice, unique in your account; routes like the id'],
    ['--public-key TYPE:KEY', 'for add: ed25519:KEY or x25519:KEY, so other endpoints can encrypt to this one'],
  ],
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    if (sub === undefined || sub === 'list' || sub === 'ls') {
      if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`);
      const { relay, answer } = await relayCall(ctx, 'GET', '/api/endpoints', 'listing endpoints');
      const list = (Array.isArray(answer.endpoints) ? answer.endpoints : []) as EndpointView[];
      const rows = list.map((e) => [printable(e.id), printable(e.kind), printable(e.name), printable(e.device_id), e.online === true ? 'yes' : 'no', printable(e.last_seen, 'never')]);
      const online = list.filter((e) => e.online === true).length;
      return {
        json: { ok: true, relay, endpoints: list },
        lines: [`${list.length} endpoints on ${relay}, ${online} online`, ...(rows.length > 0 ? formatTable(['ENDPOINT', 'KIND', 'NAME', 'DEVICE ID', 'ONLINE', 'LAST SEEN'], rows) : [])],
      };
    }
    if (sub === 'add') {
      const [name, extra] = rest;
      if (name === undefined) throw usageError('endpoints add needs a name');
      if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
      const kind = stringOption(ctx.values, 'kind') ?? 'cli';
      if (!KINDS.includes(kind)) throw usageError(`--kind takes ${KINDS.join(', ')} (boards: \`wakelink register\`)`);
      const uuid = stringOption(ctx.values, 'uuid');
      const key = stringOption(ctx.values, 'public-key');
      const body = { kind, name, ...(uuid ? { uuid } : {}), ...(key ? { public_key: parsePublicKey(key) } : {}) };
      const { answer } = await relayCall(ctx, 'POST', '/api/endpoints', 'adding the endpoint', body);
      return { json: { ok: true, endpoint: answer }, lines: [`added ${endpointLine(answer)}`] };
    }
    if (sub === 'rename') {
      const [ref, name, extra] = rest;
      if (ref === undefined || name === undefined) throw usageError('endpoints rename needs an endpoint and a name');
      if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
      const { answer } = await relayCall(ctx, 'PATCH', `/api/endpoints/${encodeURIComponent(ref)}`, `renaming ${ref}`, { name });
      return { json: { ok: true, endpoint: answer }, lines: [`renamed ${endpointLine(answer)}`] };
    }
    if (sub === 'remove' || sub === 'rm') {
      const [ref, extra] = rest;
      if (ref === undefined) throw usageError('endpoints remove needs an endpoint');
      if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`);
      const { answer } = await relayCall(ctx, 'DELETE', `/api/endpoints/${encodeURIComponent(ref)}`, `removing ${ref}`);
      return { json: { ok: true, removed: answer.id ?? null }, lines: [`removed ${printable(answer.id)}`] };
    }
    throw usageError(`unknown endpoints subcommand "${sub}" (list, add, rename, remove)`);
  },
};

interface HistoryEntry { id?: unknown; at?: unknown; kind?: unknown; from?: unknown; to?: unknown; status?: unknown; meta?: Record<string, unknown> }

/** The most telling metadata of an entry, for one column. */
function summary(entry: HistoryEntry): string {
  const meta = entry.meta ?? {};
  const parts = [meta.device_id, meta.msgid && `msgid ${printable(meta.msgid)}`, meta.event && `event ${printable(meta.event)}`, meta.signal,
    meta.subject && `"${printable(meta.subject)}"`, meta.via, meta.address, meta.client_id].filter((part) => typeof part === 'string' && part.length > 0);
  return parts.map((part) => printable(part)).join(' ');
}

const history: CommandDef = {
  name: 'history',
  aliases: [],
  usage: 'wakelink history [--endpoint E] [--limit N] [--before ID]',
  summary: 'recent routed frames of your account or one endpoint, newest first: who sent what to which board, when, from where',
  details: 'Metadata only: the relay never sees a payload. Commands to boards (v1.0 included) are the audit log. '
    + 'When there is more, the last line says which --before to pass.',
  options: { ...RELAY_OPTIONS, endpoint: { type: 'string' }, limit: { type: 'string' }, before: { type: 'string' } },
  optionHelp: [
    ...RELAY_HELP,
    ['--endpoint E', 'only frames from or to this endpoint (id, device id, uuid)'],
    ['--limit N', `entries per page, 1 to ${HISTORY_PAGE_MAX} (default 50)`],
    ['--before ID', 'the page after this entry (from the previous page\'s last line)'],
  ],
  async run(ctx) {
    if (ctx.positionals.length > 0) throw usageError(`unexpected argument "${ctx.positionals[0]}"`);
    const query = new URLSearchParams();
    const endpoint = stringOption(ctx.values, 'endpoint');
    if (endpoint !== undefined) query.set('endpoint', endpoint);
    for (const [option, max] of [['limit', HISTORY_PAGE_MAX], ['before', Number.MAX_SAFE_INTEGER]] as const) {
      const text = stringOption(ctx.values, option);
      if (text === undefined) continue;
      if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw usageError(`--${option} takes a whole number from 1${option === 'limit' ? ` to ${max}` : ''} (got "${text}")`);
      query.set(option, text);
    }
    const path = `/api/history${query.size > 0 ? `?${query}` : ''}`;
    const { relay, answer } = await relayCall(ctx, 'GET', path, 'reading the history');
    if (!Array.isArray(answer.entries)) throw new CliError('RELAY_ERROR', `the relay ${relay} answered the history without entries`);
    const entries = answer.entries as HistoryEntry[];
    const rows = entries.map((e) => [printable(e.at), printable(e.kind), printable(e.from), printable(e.to), printable(e.status), summary(e)]);
    const more = typeof answer.next_before === 'number' ? [`more: wakelink history --before ${answer.next_before}${endpoint ? ` --endpoint ${endpoint}` : ''}`] : [];
    return {
      json: { ok: true, relay, entries, next_before: answer.next_before ?? null },
      lines: rows.length > 0 ? [...formatTable(['TIME', 'KIND', 'FROM', 'TO', 'STATUS', 'DETAIL'], rows), ...more] : ['no history yet'],
    };
  },
};

export const ENDPOINT_COMMANDS: readonly CommandDef[] = [endpoints, history];
