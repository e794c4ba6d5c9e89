/**
 * The CLI's credentials for a relay (issue 14). A password login is a login session: relays.json
 * (mode 0600) keeps its short-lived access JWT and its single-use refresh token, never printed;
 * when the access token has expired the CLI refreshes it and saves the rotated pair before use.
 * Boards and the v1.0 devices.json need an `sk-` API token instead: one is created for this
 * machine the first time such a command runs, and kept beside the session.
 */
import { closeSync, openSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { stringOption } from './args';
import type { Context } from './context';
import { CliError } from './errors';
import { callRelay, expectOk } from './relay-client';
import { RELAYS_FILE, RelayStore, type RelayCredential } from './relays';

/** Refresh this long before the relay would refuse the access token (clock skew, a slow call). */
const REFRESH_MARGIN_SECONDS = 30;
export const TOKEN_NAME_MAX_CHARS = 64;
const DEFAULT_CALL_TIMEOUT_MS = 15_000;

const now = () => Date.now() / 1000;
const callTimeout = (ctx: Context) => ctx.flags.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;

function notLoggedIn(relay: string): CliError {
  return new CliError('RELAY_AUTH', `not logged in to ${relay}: run \`wakelink login --relay ${relay}\``);
}

/** A login answer (POST /auth/login or /auth/refresh) as a saved credential. */
export function sessionCredential(answer: Record<string, unknown>, relay: string, username: string | undefined, keep: Partial<RelayCredential> = {}): RelayCredential {
  const { access_token: access, refresh_token: refresh, expires_in: expiresIn, refresh_expires_in: refreshIn, session_id: sessionId } = answer;
  if (typeof access !== 'string' || typeof refresh !== 'string' || typeof expiresIn !== 'number' || typeof sessionId !== 'string') {
    throw new CliError('RELAY_ERROR', `the relay ${relay} answered the login without an access token, refresh token and session`);
  }
  const at = now();
  return {
    ...keep, kind: 'session', ...(username === undefined ? {} : { username }), access_token: access, access_expires_at: at + expiresIn, refresh_token: refresh,
    refresh_expires_at: typeof refreshIn === 'number' ? at + refreshIn : undefined, session_id: sessionId, saved: at,
  };
}

/** Rotates the session's tokens and saves them before anything else happens (the old refresh token is used up). */
async function refreshSession(ctx: Context, relays: RelayStore, relay: string, credential: RelayCredential): Promise<string> {
  let response;
  try {
    response = await callRelay(relay, { method: 'POST', path: '/auth/refresh', body: { refresh_token: credential.refresh_token }, timeoutMs: callTimeout(ctx) });
  } catch (error) {
    if (error instanceof CliError && error.code === 'RELAY_AUTH') {
      throw new CliError('RELAY_AUTH', `the login session on ${relay} has ended (expired, logged out or revoked): run \`wakelink login --relay ${relay}\` again`);
    }
    throw error;
  }
  const next = sessionCredential(expectOk(response, 'refreshing the login session'), relay, credential.username, credential);
  relays.set(relay, next, false);
  relays.save();
  return next.access_token as string;
}

/**
 * The bearer for the CLI's own calls to the relay: --api-token, else the saved login (a session's
 * access token, refreshed when it expired; or a saved API token).
 */
export async function bearerForRelay(ctx: Context, relay: string, options: { refresh?: boolean; expired?: string } = {}): Promise<string> {
  const given = stringOption(ctx.values, 'api-token');
  if (given) return given;
  const credential = RelayStore.load(ctx.home).get(relay);
  if (credential?.kind !== 'session' || !needsRefresh(credential, options)) return currentBearer(ctx, relay, options);
  // A refresh token works once: two CLI processes refreshing it together would end the session
  // (reuse detection). One refreshes under a lock file; the other then finds the new pair saved.
  return withRefreshLock(join(ctx.home, `${RELAYS_FILE}.lock`), () => currentBearer(ctx, relay, options));
}

/** Whether the saved session needs a refresh: the relay said `expired` is expired, or ours says so. */
function needsRefresh(credential: RelayCredential, options: { refresh?: boolean; expired?: string }): boolean {
  if (options.refresh) return options.expired === undefined || credential.access_token === options.expired;
  return !(typeof credential.access_token === 'string' && typeof credential.access_expires_at === 'number' && credential.access_expires_at - REFRESH_MARGIN_SECONDS > now());
}

const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 15_000;

async function withRefreshLock<T>(path: string, run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a process that died goes after LOCK_STALE_MS.
      try {
        if (Date.now() - statSync(path).mtimeMs > LOCK_STALE_MS) unlinkSync(path);
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new CliError('RELAY_AUTH', `another wakelink process is refreshing the login (${path}); try again`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(path, { force: true });
  }
}

/** The saved bearer, refreshed first when it needs it (read again: another process may have refreshed it). */
async function currentBearer(ctx: Context, relay: string, options: { refresh?: boolean; expired?: string }): Promise<string> {
  const relays = RelayStore.load(ctx.home);
  const credential = relays.get(relay);
  if (!credential) throw notLoggedIn(relay);
  if (credential.kind !== 'session') {
    if (typeof credential.expires_at === 'number' && credential.expires_at < now()) {
      throw new CliError('RELAY_AUTH', `the saved login for ${relay} expired; run \`wakelink login --relay ${relay}\` again`);
    }
    return credential.api_token as string;
  }
  // `refresh`: the relay said the access token expired (its clock decides, not ours).
  if (!needsRefresh(credential, options)) return credential.access_token as string;
  return refreshSession(ctx, relays, relay, credential);
}

/** Whether the bearer for this relay is a login session's access token (one that can be refreshed). */
export function usesLoginSession(ctx: Context, relay: string): boolean {
  if (stringOption(ctx.values, 'api-token')) return false;
  return RelayStore.load(ctx.home).get(relay)?.kind === 'session';
}

/**
 * An `sk-` API token for what outlives a session (a board, the v1.0 devices.json): --api-token,
 * else the saved one, else one created now for this machine with the session and saved with it.
 */
export async function apiTokenForBoards(ctx: Context, relay: string): Promise<string> {
  const given = stringOption(ctx.values, 'api-token');
  if (given) return given;
  const credential = RelayStore.load(ctx.home).get(relay);
  if (!credential) throw notLoggedIn(relay);
  if (typeof credential.api_token === 'string' && credential.api_token.length > 0) return credential.api_token;
  const bearer = await bearerForRelay(ctx, relay);
  const created = expectOk(await callRelay(relay, {
    method: 'POST', path: '/api/tokens', bearer, body: { name: `wakelink-cli@${hostname()}`.slice(0, TOKEN_NAME_MAX_CHARS) }, timeoutMs: callTimeout(ctx),
  }), 'creating an API token for this machine');
  if (typeof created.token !== 'string') throw new CliError('RELAY_ERROR', `the relay ${relay} created no API token`);
  // Reloaded: bearerForRelay may have rotated the session meanwhile.
  const relays = RelayStore.load(ctx.home);
  relays.set(relay, { ...relays.get(relay)!, api_token: created.token, api_token_id: created.id ?? null }, false);
  relays.save();
  return created.token;
}
