import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { AuthService, Principal } from '../auth/auth-service';
import { ERROR_TABLE, RelayError, closeCodeFor, routedErrorFrame, wsErrorFrame } from '../errors';
import { LIMITS } from '../limits';
import type { Clock } from '../time';
import { isPlainObject } from '../../shared/index';
import { parseFrame } from '../relay/packets';
import { TokenBucket } from './rate-limiter';

/**
 * A frame's text. `ws` hands a Buffer (the default binaryType) and is done with it, so it is
 * decoded in place: copying it first cost an allocation and a copy per frame.
 */
function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}

export const AUTH_REQUIRED_MESSAGE = 'Authentication required. Send: {"type": "auth", "token": "<api_token>"}';
/** Frames that may arrive while the token is being checked; more than this is abuse. */
const MAX_EARLY_FRAMES = 8;

/** v1.0 WS header auth: `Authorization: Bearer` (scheme case-insensitive here), then `X-API-Token`. */
export function headerToken(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  const match = typeof authorization === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (match?.[1]) return match[1];
  const apiToken = req.headers['x-api-token'];
  return typeof apiToken === 'string' && apiToken.trim() !== '' ? apiToken.trim() : undefined;
}

export interface HandshakeOptions {
  ws: WebSocket;
  /**
   * `headerToken(req)`, computed before the upgrade completes: the handshake keeps no reference
   * to the upgrade request, which would otherwise stay in memory for the socket's whole life.
   */
  headerToken: string | undefined;
  auth: AuthService;
  /**
   * How the token is checked; `auth.identify` (account tokens and JWTs) when absent. Device
   * sockets also accept that device's own credential (claim/device-credentials.ts).
   */
  identify?: (token: string) => Promise<Principal | 'expired' | null>;
  /** The client's address: failed tokens are counted per address (item 4). */
  ip: string;
  clock: Clock;
  authTimeoutMs: number;
  /**
   * Per-connection message rate (C3); defaults from LIMITS. `null` for device sockets: their frames
   * answer what the relay sent, so dropping one would shift the in-flight FIFO and hand later
   * replies to the wrong client. They stay bounded by maxPayload, MAX_EARLY_FRAMES before auth and
   * the per-device in-flight bound after it.
   */
  rate?: { perSecond: number; burst: number } | null;
  /**
   * Client sockets (issue 13): frames larger than this (WS_MAX_FRAME_BYTES, the 64 KB of the
   * signaling channel) are answered `frame_too_large` and dropped unread; the socket stays usable.
   * The socket's own maxPayload (WS_CLIENT_FRAME_CEILING_BYTES) closes it 1009 above that.
   * Undefined for device sockets, whose maxPayload is this bound itself (v1.0 B1: 1009).
   */
  maxFrameBytes?: number;
  /**
   * Called once with the authenticated caller; returns the per-frame handler, or null after
   * refusing. A socket opened with a JWT is then watched by TokenSockets (closed at its expiry).
   */
  onAuthenticated(principal: Principal): ((text: string, isBinary: boolean) => void) | null;
  onRejected(reason: string): void;
}

/**
 * v1.0 handshake on an accepted socket: header token right away (v1.0 used it as the fallback
 * after a data first frame — the same outcome), otherwise the first frame must be
 * `{"type":"auth","token":…}` within the timeout. Also applies the per-connection rate limit to
 * every frame, before and after auth.
 */
export function runHandshake(opts: HandshakeOptions): void {
  const { ws } = opts;
  const bucket = opts.rate === null
    ? null
    : new TokenBucket(opts.rate?.perSecond ?? LIMITS.wsMessagesPerSecond, opts.rate?.burst ?? LIMITS.wsMessageBurst, opts.clock);
  let strikes = 0;
  let state: 'waiting' | 'checking' | 'open' | 'done' = 'waiting';
  let handler: ((text: string, isBinary: boolean) => void) | null = null;
  const early: { text: string; isBinary: boolean }[] = [];

  const refuse = (code: 'AUTH_REQUIRED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'TOO_MANY_ATTEMPTS', message: string) => {
    state = 'done';
    clearTimeout(timer);
    ws.send(wsErrorFrame(code, message));
    if (code === 'TOO_MANY_ATTEMPTS') ws.close(closeCodeFor('RATE_LIMITED'), 'too many failed tokens');
    else ws.close(closeCodeFor(code), code === 'AUTH_REQUIRED' ? 'authentication required' : code === 'TOKEN_EXPIRED' ? 'token expired' : 'invalid token');
    opts.onRejected(code);
  };

  const authenticate = (token: string) => {
    state = 'checking';
    (opts.identify ? opts.identify(token) : opts.auth.identify(token, opts.ip)).then((principal) => {
      if (state !== 'checking') return;
      if (principal === 'expired') return refuse('TOKEN_EXPIRED', ERROR_TABLE.TOKEN_EXPIRED.message);
      if (!principal) return refuse('INVALID_TOKEN', 'Invalid API token');
      clearTimeout(timer);
      try {
        handler = opts.onAuthenticated(principal);
      } catch (error) {
        // e.g. the database is locked: tell the peer to retry later instead of crashing.
        state = 'done';
        opts.onRejected(`session setup failed: ${(error as Error).message}`);
        ws.close(closeCodeFor('SERVICE_UNAVAILABLE'), 'try again later');
        return;
      }
      if (!handler) {
        state = 'done';
        return;
      }
      state = 'open';
      for (const frame of early.splice(0)) handler(frame.text, frame.isBinary);
    }, (error: unknown) => {
      if (error instanceof RelayError && error.code === 'TOO_MANY_ATTEMPTS') refuse('TOO_MANY_ATTEMPTS', error.detail);
      else refuse('INVALID_TOKEN', 'Invalid API token');
    });
  };

  const timer = setTimeout(() => {
    if (state === 'waiting') refuse('AUTH_REQUIRED', AUTH_REQUIRED_MESSAGE);
  }, opts.authTimeoutMs);

  ws.on('close', () => {
    state = 'done';
    clearTimeout(timer);
  });

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (bucket && !bucket.take()) {
      strikes += 1;
      if (strikes > LIMITS.wsRateStrikes) ws.close(closeCodeFor('RATE_LIMITED'), 'rate limit');
      else ws.send(wsErrorFrame('RATE_LIMITED', 'Too many messages'));
      return;
    }
    if (opts.maxFrameBytes !== undefined) {
      const size = Array.isArray(data) ? data.reduce((sum, chunk) => sum + chunk.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      if (size > opts.maxFrameBytes) {
        ws.send(routedErrorFrame('FRAME_TOO_LARGE', `a frame of ${size} bytes; at most ${opts.maxFrameBytes} (WS_MAX_FRAME_BYTES); nothing was done with it`));
        return;
      }
    }
    const text = frameText(data);
    if (state === 'open' && handler) return handler(text, isBinary);
    if (state === 'checking') {
      if (early.length >= MAX_EARLY_FRAMES) ws.close(closeCodeFor('RATE_LIMITED'), 'too many frames before auth');
      else early.push({ text, isBinary });
      return;
    }
    if (state !== 'waiting') return;
    let frame: unknown;
    try {
      frame = isBinary ? undefined : parseFrame(text);
    } catch {
      frame = undefined;
    }
    if (isPlainObject(frame) && frame.type === 'auth' && typeof frame.token === 'string' && frame.token !== '') {
      return authenticate(frame.token);
    }
    // Header-authenticated sockets never reach here (their check starts at connect, and frames
    // sent meanwhile wait in `early`), so a first frame that is not an auth frame means no credentials.
    refuse('AUTH_REQUIRED', AUTH_REQUIRED_MESSAGE);
  });

  if (opts.headerToken !== undefined) authenticate(opts.headerToken);
}
