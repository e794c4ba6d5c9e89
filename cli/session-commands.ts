/**
 * Issue 14 from the command line: `sessions` (the account's login sessions: list, revoke),
 * `logout` (ends this CLI's session and forgets its tokens) and `pairings` (pair two endpoints
 * with a code, list and remove pairings).
 */
import type { CommandDef, Context } from './context';
import { CliError, usageError } from './errors';
import { RELAY_HELP, RELAY_OPTIONS, printable } from './endpoint-commands';
import { callRelay, expectOk } from './relay-client';
import { apiTokenForRelay, pickRelay, timeout } from './relay-commands';
import { RelayStore } from './relays';
import { formatTable } from './table';

async function relayCall(ctx: Context, method: 'GET' | 'POST' | 'DELETE', path: string, what: string, body?: unknown) {
  const relay = pickRelay(ctx);
  const answer = expectOk(await callRelay(relay, { method, path, body, bearer: await apiTokenForRelay(ctx, relay), timeoutMs: timeout(ctx) }), what);
  return { relay, answer };
}

function noMore(rest: string[]): void {
  if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`);
}

interface SessionView { id?: unknown; name?: unknown; address?: unknown; created_at?: unknown; last_used_at?: unknown; expires_at?: unknown; current?: unknown }

const sessions: CommandDef = {
  name: 'sessions',
  aliases: [],
  usage: 'wakelink sessions [list | revoke <session-id>]',
  summary: 'your relay account\'s login sessions (password logins of CLIs and apps); revoke one',
  details: 'A session is a password login: its refresh token keeps it going until it is revoked, logged out, unused for the relay\'s REFRESH_TOKEN_TTL_SECONDS or older than SESSION_MAX_AGE_SECONDS. '
    + 'Revoking one ends its tokens at once and closes the sockets they opened. Tokens are never shown. `*` marks this CLI\'s own session.',
  options: RELAY_OPTIONS,
  optionHelp: RELAY_HELP,
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    if (sub === undefined || sub === 'list' || sub === 'ls') {
      noMore(rest);
      const { relay, answer } = await relayCall(ctx, 'GET', '/auth/sessions', 'listing sessions');
      const list = (Array.isArray(answer.sessions) ? answer.sessions : []) as SessionView[];
      const mine = RelayStore.load(ctx.home).get(relay)?.session_id;
      const rows = list.map((s) => [`${s.id === mine || s.current === true ? '* ' : '  '}${printable(s.id)}`, printable(s.name), printable(s.address), printable(s.created_at), printable(s.last_used_at), printable(s.expires_at)]);
      return {
        json: { ok: true, relay, sessions: list },
        lines: [`${list.length} login sessions on ${relay}`, ...(rows.length > 0 ? formatTable(['SESSION', 'CLIENT', 'ADDRESS', 'STARTED', 'LAST USED', 'ENDS'], rows) : [])],
      };
    }
    if (sub === 'revoke' || sub === 'rm') {
      const [id, ...extra] = rest;
      if (id === undefined) throw usageError('sessions revoke needs a session id (ls_…, from `wakelink sessions`)');
      noMore(extra);
      if (!/^ls_[0-9a-f]{24}$/.test(id)) throw usageError(`"${printable(id)}" is not a session id (ls_ and 24 hex digits)`);
      const { relay } = await relayCall(ctx, 'DELETE', `/auth/sessions/${id}`, `revoking ${id}`);
      const relays = RelayStore.load(ctx.home);
      const own = relays.get(relay);
      // This CLI's own session: its tokens are dead now; keep only a machine API token, if one was made.
      if (own?.session_id === id) {
        if (typeof own.api_token === 'string' && own.api_token.startsWith('sk-')) relays.set(relay, { kind: 'api_token', api_token: own.api_token, username: own.username, saved: Date.now() / 1000 }, false);
        else relays.remove(relay);
        relays.save();
      }
      return { json: { ok: true, relay, revoked: id }, lines: [`revoked session ${id} on ${relay}`] };
    }
    throw usageError(`unknown sessions subcommand "${printable(sub)}" (list, revoke)`);
  },
};

const logout: CommandDef = {
  name: 'logout',
  aliases: [],
  usage: 'wakelink logout [--relay URL]',
  summary: 'end this CLI\'s login session on a relay and forget its saved credentials',
  details: 'The relay revokes the session (its access tokens stop working, their sockets close); relays.json forgets the relay. '
    + 'An API token saved with --api-token, or made for boards, stays valid on the relay (revoke it in the dashboard).',
  options: { relay: { type: 'string' } },
  optionHelp: [['--relay URL', 'relay base URL (default: the last login)']],
  async run(ctx) {
    noMore(ctx.positionals);
    const relay = pickRelay(ctx);
    const relays = RelayStore.load(ctx.home);
    const credential = relays.get(relay);
    if (!credential) throw new CliError('RELAY_AUTH', `not logged in to ${relay}`);
    let ended = false;
    if (credential.kind === 'session') {
      try {
        expectOk(await callRelay(relay, { method: 'POST', path: '/auth/logout', body: { refresh_token: credential.refresh_token }, timeoutMs: timeout(ctx) }), 'logging out');
        ended = true;
      } catch (error) {
        // Already ended on the relay (expired or revoked): forgetting it here is all that is left.
        if (!(error instanceof CliError && error.code === 'RELAY_AUTH')) throw error;
      }
    }
    relays.remove(relay);
    relays.save();
    return { json: { ok: true, relay, session_ended: ended }, lines: [`logged out of ${relay}${ended ? '' : ' (no live session there)'}; credentials forgotten`] };
  },
};

interface PairingView { id?: unknown; host_endpoint?: unknown; host_device_id?: unknown; client_endpoint?: unknown; created_at?: unknown }

const pairings: CommandDef = {
  name: 'pairings',
  aliases: ['pair'],
  usage: 'wakelink pairings [list | code <host-endpoint> | confirm <client-endpoint> <code> | remove <pairing-id>]',
  summary: 'pair two endpoints of your account: the client\'s commands then go to its host, the host\'s events to the client',
  details: '`code` asks the relay for a 6-digit code for the host endpoint (valid 10 minutes, single use); `confirm` enters it for the client endpoint. '
    + 'Endpoints are named by endpoint id (ep_…), a board\'s device id (WL…) or uuid. A wrong, expired or used code is `invalid_code`, whatever the reason.',
  options: RELAY_OPTIONS,
  optionHelp: RELAY_HELP,
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    if (sub === undefined || sub === 'list' || sub === 'ls') {
      noMore(rest);
      const { relay, answer } = await relayCall(ctx, 'GET', '/api/pairings', 'listing pairings');
      const list = (Array.isArray(answer.pairings) ? answer.pairings : []) as PairingView[];
      const rows = list.map((p) => [printable(p.id), printable(p.host_device_id), printable(p.client_endpoint), printable(p.created_at)]);
      return { json: { ok: true, relay, pairings: list }, lines: [`${list.length} pairings on ${relay}`, ...(rows.length > 0 ? formatTable(['PAIRING', 'HOST', 'CLIENT', 'SINCE'], rows) : [])] };
    }
    if (sub === 'code') {
      const [endpoint, ...extra] = rest;
      if (endpoint === undefined) throw usageError('pairings code needs the host endpoint');
      noMore(extra);
      const { answer } = await relayCall(ctx, 'POST', '/api/pairings/code', 'asking for a pairing code', { endpoint });
      return {
        json: { ok: true, endpoint, code: answer.code ?? null, expires_in_seconds: answer.expires_in_seconds ?? null },
        lines: [`pairing code for ${printable(endpoint)}: ${printable(answer.code)} (valid ${printable(answer.expires_in_seconds)} s, single use)`],
      };
    }
    if (sub === 'confirm') {
      const [endpoint, code, ...extra] = rest;
      if (endpoint === undefined || code === undefined) throw usageError('pairings confirm needs the client endpoint and the code');
      noMore(extra);
      if (!/^\d{6}$/.test(code)) throw usageError('the code is six digits, e.g. 448826');
      const { answer } = await relayCall(ctx, 'POST', '/api/pairings', 'confirming the pairing code', { endpoint, code });
      return { json: { ok: true, ...answer }, lines: [`paired ${printable(answer.client_endpoint)} with host ${printable(answer.host_device_id)} (${printable(answer.pairing_id)})`] };
    }
    if (sub === 'remove' || sub === 'rm') {
      const [id, ...extra] = rest;
      if (id === undefined) throw usageError('pairings remove needs a pairing id (pr_…)');
      noMore(extra);
      if (!/^pr_[0-9a-f]{20}$/.test(id)) throw usageError(`"${printable(id)}" is not a pairing id (pr_ and 20 hex digits)`);
      await relayCall(ctx, 'DELETE', `/api/pairings/${id}`, `removing ${id}`);
      return { json: { ok: true, removed: id }, lines: [`removed pairing ${id}`] };
    }
    throw usageError(`unknown pairings subcommand "${printable(sub)}" (list, code, confirm, remove)`);
  },
};

export const SESSION_COMMANDS: readonly CommandDef[] = [sessions, logout, pairings];
