import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { AuthService, Principal } from '../auth/auth-service';
import { ERROR_TABLE, RelayError, closeCodeFor, routedErrorFrame, wsErrorFrame } from '../errors';
import { LIMITS } from '../limits';
import type { Clock } from '../time';
import { isPlainObject } from '../../shared/index';
import { parseFrame } from '../relay/packets';
import { TokenBucket } from './rate-limiter';
import type { RelaySocket } from './relay-socket';

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

/** A socket's authenticated life: its frames, then its close (sessions.ts). */
export interface FrameHandler {
  frame(text: string, isBinary: boolean): void;
  closed(code: number): void;
}

/**
 * What one kind of socket (device, client) does at each step of the handshake; one object per
 * kind, shared by all its sockets, so a socket keeps no callbacks of its own.
 */
export interface HandshakePolicy {
  auth: AuthService;
  clock: Clock;
  authTimeoutMs: number;
  /**
   * Per-connection message rate (C3). `null` for device sockets: their frames answer what the relay
   * sent, so dropping one would shift the in-flight FIFO and hand later replies to the wrong
   * client. They stay bounded by maxPayload, MAX_EARLY_FRAMES before auth and the per-device
   * in-flight bound after it.
   */
  rate: { perSecond: number; burst: number } | null;
  /**
   * Client sockets (issue 13): frames larger than this (WS_MAX_FRAME_BYTES, the 64 KB of the
   * signaling channel) are answered `frame_too_large` and dropped unread; the socket stays usable.
   * The socket's own maxPayload (WS_CLIENT_FRAME_CEILING_BYTES) closes it 1009 above that.
   * Undefined for device sockets, whose maxPayload is this bound itself (v1.0 B1: 1009).
   */
  maxFrameBytes: number | undefined;
  /** How the token is checked (device sockets also accept that device's own credential). */
  identify(token: string, socket: Handshake): Promise<Principal | 'expired' | null>;
  /**
   * Called once with the authenticated caller; returns the socket's frame handler, or null after
   * refusing. A socket opened with a JWT is then watched by TokenSockets (closed at its expiry).
   */
  authenticated(socket: Handshake, principal: Principal): FrameHandler | null;
  rejected(socket: Handshake, reason: string): void;
  /** The socket closed (after `handler.closed`, if it had authenticated). */
  closed(socket: Handshake, code: number): void;
}

type State = 'waiting' | 'checking' | 'open' | 'done';

/** Shared listeners: `this` is the socket, its handshake is a field of it. */
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as RelaySocket).connection?.message(data, isBinary);
}
function onClose(this: WebSocket, code: number): void {
  (this as RelaySocket).connection?.closed(code);
}
function onAuthTimeout(handshake: Handshake): void {
  handshake.timedOut();
}

/**
 * v1.0 handshake on an accepted socket: header token right away (v1.0 used it as the fallback
 * after a data first frame — the same outcome), otherwise the first frame must be
 * `{"type":"auth","token":…}` within the timeout. Also applies the per-connection rate limit to
 * every frame, before and after auth. Once authenticated it keeps only its counters and handler:
 * the timer, the early-frame list and the token are dropped.
 */
export class Handshake {
  /** The user whose socket count this socket is part of (upgrade.ts sets and clears it). */
  countedUser: number | undefined = undefined;
  private state: State = 'waiting';
  private strikes = 0;
  private readonly bucket: TokenBucket | null;
  private handler: FrameHandler | null = null;
  private early: { text: string; isBinary: boolean }[] | null = null;
  private timer: NodeJS.Timeout | undefined;

  /** `headerToken(req)`, taken before the upgrade completed: nothing here keeps the upgrade request. */
  constructor(readonly ws: RelaySocket, private readonly policy: HandshakePolicy, readonly ip: string, readonly targetId: string, fromHeaders: string | undefined) {
    const { rate } = policy;
    this.bucket = rate === null ? null : new TokenBucket(rate.perSecond, rate.burst, policy.clock);
    ws.connection = this;
    ws.on('close', onClose);
    ws.on('message', onMessage);
    this.timer = setTimeout(onAuthTimeout, policy.authTimeoutMs, this);
    if (fromHeaders !== undefined) this.authenticate(fromHeaders);
  }

  timedOut(): void {
    this.timer = undefined;
    if (this.state === 'waiting') this.refuse('AUTH_REQUIRED', AUTH_REQUIRED_MESSAGE);
  }

  /**
   * The session calls this as soon as it holds anything that must be released at close (its
   * routing-core registration), so a setup that throws after that point still releases it.
   */
  attach(handler: FrameHandler): void {
    this.handler = handler;
  }

  closed(code: number): void {
    this.state = 'done';
    this.stopTimer();
    this.early = null;
    const { handler } = this;
    this.handler = null;
    handler?.closed(code);
    this.policy.closed(this, code);
  }

  message(data: RawData, isBinary: boolean): void {
    const { ws, policy } = this;
    if (this.bucket && !this.bucket.take()) {
      this.strikes += 1;
      if (this.strikes > LIMITS.wsRateStrikes) ws.close(closeCodeFor('RATE_LIMITED'), 'rate limit');
      else ws.send(wsErrorFrame('RATE_LIMITED', 'Too many messages'));
      return;
    }
    if (policy.maxFrameBytes !== undefined) {
      const size = Array.isArray(data) ? data.reduce((sum, chunk) => sum + chunk.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      if (size > policy.maxFrameBytes) {
        ws.send(routedErrorFrame('FRAME_TOO_LARGE', `a frame of ${size} bytes; at most ${policy.maxFrameBytes} (WS_MAX_FRAME_BYTES); nothing was done with it`));
        return;
      }
    }
    const text = frameText(data);
    if (this.state === 'open' && this.handler) return this.handler.frame(text, isBinary);
    if (this.state === 'checking') {
      const early = (this.early ??= []);
      if (early.length >= MAX_EARLY_FRAMES) ws.close(closeCodeFor('RATE_LIMITED'), 'too many frames before auth');
      else early.push({ text, isBinary });
      return;
    }
    if (this.state !== 'waiting') return;
    let frame: unknown;
    try {
      frame = isBinary ? undefined : parseFrame(text);
    } catch {
      frame = undefined;
    }
    if (isPlainObject(frame) && frame.type === 'auth' && typeof frame.token === 'string' && frame.token !== '') {
      return this.authenticate(frame.token);
    }
    // Header-authenticated sockets never reach here (their check starts at connect, and frames
    // sent meanwhile wait in `early`), so a first frame that is not an auth frame means no credentials.
    this.refuse('AUTH_REQUIRED', AUTH_REQUIRED_MESSAGE);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refuse(code: 'AUTH_REQUIRED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'TOO_MANY_ATTEMPTS', message: string): void {
    const { ws } = this;
    this.state = 'done';
    this.stopTimer();
    this.early = null;
    ws.send(wsErrorFrame(code, message));
    if (code === 'TOO_MANY_ATTEMPTS') ws.close(closeCodeFor('RATE_LIMITED'), 'too many failed tokens');
    else ws.close(closeCodeFor(code), code === 'AUTH_REQUIRED' ? 'authentication required' : code === 'TOKEN_EXPIRED' ? 'token expired' : 'invalid token');
    this.policy.rejected(this, code);
  }

  private authenticate(token: string): void {
    this.state = 'checking';
    this.policy.identify(token, this).then((principal) => this.checked(principal), (error: unknown) => {
      if (error instanceof RelayError && error.code === 'TOO_MANY_ATTEMPTS') this.refuse('TOO_MANY_ATTEMPTS', error.detail);
      else this.refuse('INVALID_TOKEN', 'Invalid API token');
    });
  }

  private checked(principal: Principal | 'expired' | null): void {
    if (this.state !== 'checking') return;
    if (principal === 'expired') return this.refuse('TOKEN_EXPIRED', ERROR_TABLE.TOKEN_EXPIRED.message);
    if (!principal) return this.refuse('INVALID_TOKEN', 'Invalid API token');
    this.stopTimer();
    let handler: FrameHandler | null;
    try {
      handler = this.policy.authenticated(this, principal);
      if (handler) this.handler = handler;
    } catch (error) {
      // e.g. the database is locked: tell the peer to retry later instead of crashing.
      this.state = 'done';
      this.early = null;
      this.policy.rejected(this, `session setup failed: ${(error as Error).message}`);
      this.ws.close(closeCodeFor('SERVICE_UNAVAILABLE'), 'try again later');
      return;
    }
    const early = this.early ?? [];
    this.early = null;
    if (!handler) {
      this.state = 'done';
      return;
    }
    this.state = 'open';
    for (const frame of early) handler.frame(frame.text, frame.isBinary);
  }
}
