import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer } from 'ws';
import type { AuthService, Principal } from '../auth/auth-service';
import type { TokenSockets } from './token-sockets';
import { LIMITS } from '../limits';
import { isClientId, isDeviceId } from '../relay/packets';
import { trackLiveness, startHeartbeat } from './heartbeat';
import { Handshake, headerToken, type FrameHandler, type HandshakePolicy } from './handshake';
import { RelaySocket } from './relay-socket';
import { ERROR_TABLE, closeCodeFor, errorBody, wsErrorFrame, type RelayErrorCode } from '../errors';
import { clientAddress, type TrustFn } from '../net/client-address';
import { originAllowed, requestOrigin } from '../net/origin';
import type { ClaimService } from '../claim/claim-service';
import type { DeviceCredentials } from '../claim/device-credentials';
import { DEFAULT_DEVICE_FRAME_BOUNDS, openClientSession, openDeviceSession, type DeviceFrameBounds, type SessionDeps } from './sessions';

export interface WsOptions {
  allowedOrigins: readonly string[];
  /** Same rule as Fastify's trustProxy: the per-IP cap counts real clients behind a proxy. */
  trustProxy?: TrustFn | false;
  authTimeoutMs: number;
  pingIntervalMs: number;
  maxConnectionsPerIp: number;
  /** Sockets per user = 2 × the user's device limit + this. */
  extraConnectionsPerUser: number;
  /** Largest incoming frame (B1), slow-consumer bounds (F7) and per-socket message rate (C3); LIMITS when absent. */
  maxPayloadBytes?: number;
  /** Client sockets: frames above maxPayloadBytes up to this get `frame_too_large` and the socket stays open (issue 13). */
  clientFrameCeilingBytes?: number;
  maxBufferedBytes?: number;
  drainTimeoutMs?: number;
  slowCloseGraceMs?: number;
  messagesPerSecond?: number;
  messageBurst?: number;
  /** Bounds of device sockets' own frames (F8, issue 12 item 1); LIMITS when absent. */
  deviceFrames?: DeviceFrameBounds;
  /** Largest frame a board may send on its claim socket (issue 14); LIMITS when absent. */
  claimFrameBytes?: number;
}

export interface WsGateway {
  /** Stops accepting upgrades and closes every socket with 1012 (C6). */
  shutdown(): void;
  openSockets(): number;
}

type Target = { kind: 'device'; id: string } | { kind: 'client'; id: string } | { kind: 'claim'; id: string };

/** decodeURIComponent throws on malformed escapes like `%ZZ`; that is a bad id, not a crash. */
function decodeId(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function parseTarget(url: string | undefined): Target | 'bad_id' | null {
  const path = (url ?? '').split('?')[0] ?? '';
  const claim = /^\/ws\/claim\/([^/]+)$/.exec(path);
  if (claim) {
    const id = decodeId(claim[1]!);
    return isDeviceId(id) ? { kind: 'claim', id } : 'bad_id';
  }
  const client = /^\/ws\/client\/([^/]+)$/.exec(path);
  if (client) {
    const id = decodeId(client[1]!);
    return isClientId(id) ? { kind: 'client', id } : 'bad_id';
  }
  const device = /^\/ws\/([^/]+)$/.exec(path);
  if (device) {
    const id = decodeId(device[1]!);
    return isDeviceId(id) ? { kind: 'device', id } : 'bad_id';
  }
  return null;
}

/** Refuses an upgrade with the table's status and the one JSON error body (errors.ts). */
function reject(socket: Duplex, code: RelayErrorCode, extraHeaders = ''): void {
  const status = ERROR_TABLE[code].http;
  const body = JSON.stringify(errorBody(code));
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n${extraHeaders}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * Shared by every upgrading socket (`this` is the socket): no closure per connection. Removed once
 * `ws` has the socket (it destroys it on error itself), so an open socket keeps one error listener.
 */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Routes HTTP upgrades on the Fastify server to the device and client WebSocket endpoints. */
export function attachWebSockets(
  server: import('node:http').Server,
  deps: SessionDeps & { auth: AuthService; log: FastifyBaseLogger; tokenSockets: TokenSockets; claims: ClaimService; credentials: DeviceCredentials },
  options: WsOptions,
): WsGateway {
  const maxFrameBytes = options.maxPayloadBytes ?? LIMITS.wsMaxPayloadBytes;
  const serverFor = (maxPayload: number) => new WebSocketServer({
    noServer: true,
    WebSocket: RelaySocket,
    maxPayload,
    perMessageDeflate: false,
    // v1.0 firmware offers subprotocol "arduino"; accept without echoing it, like v1.0.
    handleProtocols: () => false,
  });
  // Two servers because ws bounds frames per server: devices close 1009 above the frame limit
  // (v1.0 B1); clients get `frame_too_large` up to the ceiling and keep their socket (issue 13).
  const deviceWss = serverFor(maxFrameBytes);
  const clientWss = serverFor(Math.max(maxFrameBytes, options.clientFrameCeilingBytes ?? LIMITS.wsClientFrameCeilingBytes));
  // Claim sockets (issue 14) take no frames at all: a small bound.
  const claimWss = serverFor(options.claimFrameBytes ?? LIMITS.claimSocketFrameBytes);
  let accepting = true;
  const perIp = new Map<string, number>();
  const perUser = new Map<number, number>();
  const bump = <K>(map: Map<K, number>, key: K, delta: number) => {
    const next = (map.get(key) ?? 0) + delta;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  };
  const stopHeartbeats = [deviceWss, clientWss, claimWss].map((wss) => startHeartbeat(wss, options.pingIntervalMs));
  const sessionDeps: SessionDeps = {
    ...deps,
    peerBounds: {
      maxBufferedBytes: options.maxBufferedBytes ?? LIMITS.wsMaxBufferedBytes,
      drainTimeoutMs: options.drainTimeoutMs ?? LIMITS.wsDrainTimeoutMs,
      closeGraceMs: options.slowCloseGraceMs ?? LIMITS.wsSlowCloseGraceMs,
    },
    deviceFrames: options.deviceFrames ?? DEFAULT_DEVICE_FRAME_BOUNDS,
  };
  const onSocketError = (error: Error) => deps.log.debug({ event: 'ws_error', code: (error as { code?: string }).code }, 'ws error');
  const rate = { perSecond: options.messagesPerSecond ?? LIMITS.wsMessagesPerSecond, burst: options.messageBurst ?? LIMITS.wsMessageBurst };

  /** After the token: the per-user socket cap, then the session of the socket's kind. */
  const authenticated = (socket: Handshake, principal: Principal, open: (socket: Handshake, principal: Principal) => FrameHandler | null) => {
    const { ws } = socket;
    const devicesLimit = deps.store.findUserById(principal.userId)?.devicesLimit ?? 0;
    if ((perUser.get(principal.userId) ?? 0) >= 2 * devicesLimit + options.extraConnectionsPerUser) {
      ws.send(wsErrorFrame('TOO_MANY_CONNECTIONS', ERROR_TABLE.TOO_MANY_CONNECTIONS.message));
      ws.close(closeCodeFor('TOO_MANY_CONNECTIONS'), 'too many connections');
      return null;
    }
    const handler = open(socket, principal);
    if (!handler) return null;
    bump(perUser, principal.userId, 1);
    socket.countedUser = principal.userId;
    // Opened with an access JWT: closed when it expires or its login session is revoked.
    if (principal.expiresAt !== null) ws.once('close', deps.tokenSockets.track(ws, principal));
    return handler;
  };
  const closed = (socket: Handshake) => {
    bump(perIp, socket.ip, -1);
    if (socket.countedUser !== undefined) bump(perUser, socket.countedUser, -1);
    socket.countedUser = undefined;
  };
  const common = { auth: deps.auth, clock: deps.clock, authTimeoutMs: options.authTimeoutMs };
  // One policy object per kind, shared by all its sockets.
  const devicePolicy: HandshakePolicy = {
    ...common,
    // Device frames are never dropped (see HandshakePolicy.rate); clients keep the C3 limit.
    rate: null,
    maxFrameBytes: undefined,
    identify: (token, socket) => deps.credentials.identifyForDevice(token, socket.ip, socket.targetId),
    authenticated(socket, principal) {
      const handler = authenticated(socket, principal, (s, p) => openDeviceSession(sessionDeps, s, p));
      if (handler && principal.credentialHash !== undefined) deps.credentials.track(socket.targetId, socket.ws, principal.credentialHash);
      return handler;
    },
    rejected: (socket, reason) => deps.log.warn({ event: 'ws_auth_failed', reason, kind: 'device', ip: socket.ip }, 'WebSocket auth failed'),
    closed(socket) {
      deps.credentials.forget(socket.targetId, socket.ws);
      closed(socket);
    },
  };
  const clientPolicy: HandshakePolicy = {
    ...common,
    rate,
    maxFrameBytes,
    identify: (token, socket) => deps.auth.identify(token, socket.ip),
    authenticated: (socket, principal) => authenticated(socket, principal, (s, p) => openClientSession(sessionDeps, s, p)),
    rejected: (socket, reason) => deps.log.warn({ event: 'ws_auth_failed', reason, kind: 'client', ip: socket.ip }, 'WebSocket auth failed'),
    closed,
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroySocket);
    if (!accepting) return reject(socket, 'SERVICE_RESTART');
    const target = parseTarget(req.url);
    if (target === null) return reject(socket, 'NOT_FOUND');
    if (target === 'bad_id') return reject(socket, 'INVALID_ID');
    // CSWSH defence (B21): no Origin, the relay's own origin, or one of ALLOWED_ORIGINS.
    const ip = clientAddress(req, options.trustProxy ?? false);
    if (!originAllowed(req, options.allowedOrigins, options.trustProxy ?? false)) {
      const own = requestOrigin(req, options.trustProxy ?? false);
      deps.log.warn({ event: 'ws_origin_refused', origin: req.headers.origin, own, ip }, 'WebSocket origin refused');
      return reject(socket, 'ORIGIN_REFUSED');
    }
    // An address over its failed-token budget (item 4) is refused before the upgrade costs anything.
    const tokenWaitMs = deps.auth.tokenRetryAfterMs(ip);
    if (tokenWaitMs > 0) {
      deps.log.warn({ event: 'ws_token_throttled', ip }, 'WebSocket upgrade refused: too many failed tokens');
      return reject(socket, 'TOO_MANY_ATTEMPTS', `Retry-After: ${Math.ceil(tokenWaitMs / 1000)}\r\n`);
    }
    if ((perIp.get(ip) ?? 0) >= options.maxConnectionsPerIp) {
      deps.log.warn({ event: 'ws_ip_limit', ip }, 'too many sockets from one address');
      return reject(socket, 'TOO_MANY_CONNECTIONS');
    }
    // Everything the socket needs from the request, taken now: nothing below may capture `req`,
    // or every idle connection would keep its IncomingMessage and headers alive.
    if (target.kind === 'claim') {
      const admitted = deps.claims.admits(ip);
      if (admitted !== 'ok') {
        deps.log.warn({ event: 'claim_socket_refused', ip, reason: admitted }, 'claim socket refused');
        return reject(socket, admitted);
      }
      claimWss.handleUpgrade(req, socket, head, (ws) => {
        bump(perIp, ip, 1);
        ws.on('close', () => bump(perIp, ip, -1));
        trackLiveness(ws);
        ws.on('error', onSocketError);
        deps.claims.open(ws, target.id, ip);
      });
      return;
    }
    const fromHeaders = headerToken(req);
    const policy = target.kind === 'device' ? devicePolicy : clientPolicy;
    (target.kind === 'device' ? deviceWss : clientWss).handleUpgrade(req, socket, head, (ws) => {
      socket.removeListener('error', destroySocket);
      bump(perIp, ip, 1);
      trackLiveness(ws);
      ws.on('error', onSocketError);
      new Handshake(ws, policy, ip, target.id, fromHeaders);
    });
  });

  return {
    shutdown() {
      accepting = false;
      for (const stop of stopHeartbeats) stop();
      for (const wss of [deviceWss, clientWss, claimWss]) {
        for (const ws of wss.clients) ws.close(closeCodeFor('SERVICE_RESTART'), 'service restart');
        wss.close();
      }
    },
    openSockets: () => deviceWss.clients.size + clientWss.clients.size + claimWss.clients.size,
  };
}
