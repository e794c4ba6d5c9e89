import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../auth/auth-service';
import { closeCodeFor, wsErrorFrame } from '../errors';
import type { Hub } from '../hub/types';
import { newConnectionEndpointId } from '../ids';
import type { RelayService } from '../relay/relay-service';
import type { Router } from '../routing/router';
import type { Store } from '../store/types';
import type { Clock } from '../time';
import { PROTOCOL_VERSION } from '../../shared/index';
import type { Session } from '../routing/session';
import { DEFAULT_DEVICE_FRAME_BOUNDS, DeviceFrameGuard, type DeviceFrameBounds } from './device-frame-guard';
import type { FrameHandler, Handshake } from './handshake';
import { toPeer, type Peer, type PeerBounds } from './peer';

export { DEFAULT_DEVICE_FRAME_BOUNDS, type DeviceFrameBounds } from './device-frame-guard';

export interface SessionDeps {
  store: Store;
  hub: Hub;
  relay: RelayService;
  router: Router;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Slow-consumer bounds (F7); defaults from LIMITS. */
  peerBounds?: PeerBounds;
  /** Device sockets' own frame bounds (F8, issue 12 item 1); defaults from LIMITS. */
  deviceFrames?: DeviceFrameBounds;
}

/**
 * `/ws/{device_id}`: the socket is bound to one device id, its board endpoint and its owner for its
 * whole life (C5). Every frame goes to the routing core; v1.0 packets (replies) first pass the
 * unsolicited-frame guard, unread, and typed frames (events, pings) are routed by their type.
 * A class, not closures: an idle board keeps this object, its routing session and its peer only.
 */
class DeviceSocket implements FrameHandler {
  /** Made on the first frame: a fresh guard's buckets start full, as they would at auth. */
  private guard: DeviceFrameGuard | undefined = undefined;

  constructor(private readonly deps: SessionDeps, private readonly socket: Handshake, private readonly session: Session, private readonly peer: Peer) {}

  frame(text: string, isBinary: boolean): void {
    const guard = (this.guard ??= new DeviceFrameGuard(
      this.deps.hub, this.deps.log, this.socket.ws, this.socket.targetId, this.peer.id, this.deps.clock, this.deps.deviceFrames ?? DEFAULT_DEVICE_FRAME_BOUNDS,
    ));
    if (!guard.admitAny()) return;
    // A v1.0 packet has no "type" key: such a frame is a reply and passes the guard before it is read.
    // One that has (an event, a ping, or a packet with extras) is read, and checked once it is known.
    const typed = text.includes('"type"');
    if (!typed && !guard.admitPacket()) return;
    this.deps.router.handle(this.session, text, isBinary, typed ? guard : undefined);
  }

  closed(code: number): void {
    const { deps, session } = this;
    this.peer.closed();
    deps.router.close(session);
    deps.log.info({ event: 'ws_device_closed', deviceId: this.socket.targetId, userId: session.userId, code }, 'device disconnected');
  }
}

export function openDeviceSession(deps: SessionDeps, socket: Handshake, principal: Principal): FrameHandler | null {
  const { ws, targetId: deviceId, ip: address } = socket;
  const device = deps.store.findDevice(deviceId);
  if (!device || device.userId !== principal.userId) {
    ws.send(wsErrorFrame('DEVICE_NOT_FOUND', 'Device not found or access denied'));
    ws.close(closeCodeFor('DEVICE_NOT_FOUND'), 'device not found');
    deps.log.info({ event: 'ws_device_refused', deviceId, userId: principal.userId }, 'device socket refused');
    return null;
  }
  const peer = toPeer(ws, principal.userId, principal.tokenId, deps.peerBounds, false);
  const session = deps.router.session({
    endpointId: device.endpointId, kind: 'board', deviceId, name: device.name, ephemeral: false, principal, peer, side: 'board', address, via: 'ws', clientId: null,
  });
  deps.router.open(session);
  const handler = new DeviceSocket(deps, socket, session, peer);
  socket.attach(handler);
  try {
    deps.store.touchDevice(deviceId, deps.clock.now());
  } catch (error) {
    deps.log.warn({ err: error, deviceId }, 'last_seen not updated'); // bookkeeping only (F9)
  }
  ws.send(JSON.stringify({
    type: 'welcome', status: 'connected', device_id: deviceId, protocol_version: PROTOCOL_VERSION,
    message: 'Device WebSocket connection established',
  }));
  // After the welcome, unlike v1.0 (B14): firmware that reads the welcome first stays in sync.
  const flushed = deps.relay.flushQueue(deviceId);
  deps.log.info({ event: 'ws_device_open', deviceId, userId: principal.userId, flushed }, 'device connected');
  return handler;
}

/** A client socket's frames go to the routing core as they are. */
class ClientSocket implements FrameHandler {
  constructor(private readonly deps: SessionDeps, private readonly socket: Handshake, private readonly session: Session, private readonly peer: Peer) {}

  frame(text: string, isBinary: boolean): void {
    this.deps.router.handle(this.session, text, isBinary);
  }

  closed(code: number): void {
    const { deps, session } = this;
    this.peer.closed();
    deps.router.close(session);
    deps.log.info({ event: 'ws_client_closed', clientId: this.socket.targetId, endpoint: session.endpointId, userId: session.userId, code }, 'client disconnected');
  }
}

/**
 * `/ws/client/{client_id}`: a client endpoint. When `client_id` is one of the account's registered
 * endpoints (its id or uuid) the socket is that endpoint; otherwise (a v1.0 CLI's `cli_…` id) it is a
 * connection-scoped endpoint of kind `client` for as long as it is open. v1.0 packets get v1.0 ACKs
 * and bare replies, in either order; the routing protocol's frames go to their handlers.
 */
export function openClientSession(deps: SessionDeps, socket: Handshake, principal: Principal): FrameHandler {
  const { ws, targetId: clientId, ip: address } = socket;
  const registered = deps.router.endpoints.registeredForSocket(principal.userId, clientId);
  const peer = toPeer(ws, principal.userId, principal.tokenId, deps.peerBounds, false);
  const common = { principal, peer, side: 'client' as const, address, via: 'ws' as const, deviceId: null };
  const session = registered
    ? deps.router.session({ ...common, endpointId: registered.id, kind: registered.kind, name: registered.name, ephemeral: false, clientId: null })
    : deps.router.session({ ...common, endpointId: newConnectionEndpointId(), kind: 'client', name: clientId, ephemeral: true, clientId });
  const handler = new ClientSocket(deps, socket, session, peer);
  socket.attach(handler);
  // The exact v1.0 welcome; a registered endpoint learns its endpoint id in it too.
  ws.send(JSON.stringify({
    type: 'welcome', status: 'connected', client_id: clientId, ...(registered ? { endpoint: registered.id } : {}), protocol_version: PROTOCOL_VERSION,
    message: 'Client WebSocket connection established',
  }));
  // After the welcome: stored mail of a registered endpoint follows it.
  deps.router.open(session);
  deps.log.info({ event: 'ws_client_open', clientId, endpoint: session.endpointId, userId: principal.userId }, 'client connected');
  return handler;
}
