import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/auth-service';
import { RelayError, closeCodeFor, wsErrorFrame } from '../errors';
import type { Hub } from '../hub/types';
import { parseFrame, validatePacket } from '../relay/packets';
import type { RelayService } from '../relay/relay-service';
import type { Store } from '../store/types';
import type { Clock } from '../time';
import { PROTOCOL_VERSION } from '../../shared/index';
import { LIMITS } from '../limits';
import { toPeer, type PeerBounds } from './peer';
import { TokenBucket } from './rate-limiter';

export interface SessionDeps {
  store: Store;
  hub: Hub;
  relay: RelayService;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Slow-consumer bounds (F7); defaults from LIMITS. */
  peerBounds?: PeerBounds;
  /** Device sockets' own frame bounds (F8, issue 12 item 1); defaults from LIMITS. */
  deviceFrames?: DeviceFrameBounds;
}

export interface DeviceFrameBounds {
  /** All frames of one device socket (token bucket); beyond it the socket is closed. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Frames answering no command in flight still handled at once (refilled at LIMITS.deviceUnsolicitedPerSecond). */
  unsolicitedBurst: number;
  /** Such frames dropped before the socket is closed. */
  unsolicitedDropsBeforeClose: number;
}

export const DEFAULT_DEVICE_FRAME_BOUNDS: DeviceFrameBounds = {
  messagesPerSecond: LIMITS.deviceMessagesPerSecond,
  messageBurst: LIMITS.deviceMessageBurst,
  unsolicitedBurst: LIMITS.deviceUnsolicitedBurst,
  unsolicitedDropsBeforeClose: LIMITS.deviceUnsolicitedDropsBeforeClose,
};

/** Control frames v1.0 peers may send besides packets; answered by nothing. */
const IGNORED_TYPES = new Set(['auth', 'ping', 'pong', 'status']);

function errorFrame(error: unknown): string {
  if (error instanceof RelayError) return wsErrorFrame(error.wire, error.detail);
  return wsErrorFrame('INTERNAL', 'Internal error');
}

/** Parses a frame; returns null for control frames that need no answer. Throws RelayError otherwise. */
function packetOrNull(text: string, isBinary: boolean, label: 'Missing fields' | 'Missing') {
  if (isBinary) throw new RelayError('INVALID_JSON', 'Binary frames are not supported; send JSON text');
  const frame = parseFrame(text);
  if (typeof frame.type === 'string' && IGNORED_TYPES.has(frame.type) && frame.payload === undefined) return null;
  return validatePacket(frame, label);
}

/** `/ws/{device_id}`: the socket is bound to one device id and its owner for its whole life (C5). */
export function openDeviceSession(deps: SessionDeps, ws: WebSocket, deviceId: string, principal: Principal) {
  const device = deps.store.findDevice(deviceId);
  if (!device || device.userId !== principal.userId) {
    ws.send(wsErrorFrame('DEVICE_NOT_FOUND', 'Device not found or access denied'));
    ws.close(closeCodeFor('DEVICE_NOT_FOUND'), 'device not found');
    deps.log.info({ event: 'ws_device_refused', deviceId, userId: principal.userId }, 'device socket refused');
    return null;
  }
  const owned = { deviceId, userId: device.userId };
  const peer = toPeer(ws, principal.userId, principal.tokenId, deps.peerBounds, false);
  deps.hub.attachDevice(deviceId, peer)?.close(closeCodeFor('REPLACED'), 'replaced');
  ws.on('close', (code) => {
    peer.closed();
    deps.hub.detachDevice(deviceId, peer);
    deps.log.info({ event: 'ws_device_closed', deviceId, userId: principal.userId, code }, 'device disconnected');
  });
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
  const guard = new DeviceFrameGuard(deps, ws, deviceId, peer.id);

  return (text: string, isBinary: boolean) => {
    if (!guard.admit()) return;
    try {
      const packet = packetOrNull(text, isBinary, 'Missing fields');
      if (!packet) return;
      if (packet.deviceId !== deviceId) {
        ws.send(wsErrorFrame('DEVICE_ID_MISMATCH', 'Packet device_id does not match this connection'));
        ws.close(closeCodeFor('DEVICE_ID_MISMATCH'), 'device id mismatch');
        return;
      }
      // Deleting the device closes this socket at once (RelayService.deleteDevice), so an open
      // socket still belongs to its owner; only frames arriving while it closes are checked again.
      if (ws.readyState !== ws.OPEN) {
        const current = deps.store.findDevice(deviceId);
        if (!current || current.userId !== principal.userId) return;
      }
      const route = deps.relay.handleDeviceResponse(owned, packet, peer.id);
      // F14: e.g. the relay restarted and lost who asked; kept for the owner's HTTP pull only.
      if (route === 'unsolicited') deps.log.debug({ event: 'ws_device_unsolicited', deviceId }, 'device reply with no command in flight');
      else if (route === 'held') deps.log.warn({ event: 'ws_device_reply_held', deviceId }, 'database refused a device reply; held in memory for the next pull');
    } catch (error) {
      // v1.0 validation errors go back as v1.0 frames; internal failures are only logged, because
      // v1.0 firmware drops its connection on any error frame.
      if (error instanceof RelayError) peer.send(errorFrame(error));
      else deps.log.error({ err: error, deviceId }, 'device frame failed');
    }
  };
}

/**
 * Bounds what one device socket can make the relay do (F8, issue 12 item 1). A frame arriving
 * while no command is in flight on this socket answers nothing: within a small budget it is
 * handled as before (F14), beyond it dropped before it is even parsed, and after enough drops the
 * socket is closed 1008. Frames that may answer a command are never dropped (FIFO); only a rate
 * far above any honest device's closes the socket.
 */
class DeviceFrameGuard {
  private readonly unsolicited: TokenBucket;
  private readonly all: TokenBucket;
  private dropped = 0;
  private closing = false;

  private readonly bounds: DeviceFrameBounds;

  constructor(private readonly deps: SessionDeps, private readonly ws: WebSocket, private readonly deviceId: string, private readonly socketId: string) {
    this.bounds = deps.deviceFrames ?? DEFAULT_DEVICE_FRAME_BOUNDS;
    this.unsolicited = new TokenBucket(LIMITS.deviceUnsolicitedPerSecond, this.bounds.unsolicitedBurst, deps.clock);
    this.all = new TokenBucket(this.bounds.messagesPerSecond, this.bounds.messageBurst, deps.clock);
  }

  /** False: drop the frame without reading it. */
  admit(): boolean {
    if (this.closing) return false;
    if (!this.all.take()) return this.shut('device frame rate');
    const answersOne = this.deps.hub.inFlight(this.deviceId).some((entry) => entry.socketId === this.socketId);
    if (answersOne || this.unsolicited.take()) return true;
    this.dropped += 1;
    if (this.dropped >= this.bounds.unsolicitedDropsBeforeClose) return this.shut('unsolicited frames');
    return false;
  }

  private shut(reason: string): false {
    this.closing = true;
    this.deps.log.warn({ event: 'ws_device_flood', deviceId: this.deviceId, reason, dropped: this.dropped }, 'device socket closed: too many frames');
    this.ws.close(closeCodeFor('RATE_LIMITED'), reason);
    // Frames already buffered are dropped unread; a peer that does not finish the close is cut.
    setTimeout(() => this.ws.terminate(), LIMITS.wsSlowCloseGraceMs).unref();
    return false;
  }
}

/** `/ws/client/{client_id}`: v1.0 ACKs; responses come back as bare packets (in either order). */
export function openClientSession(deps: SessionDeps, ws: WebSocket, clientId: string, principal: Principal) {
  const peer = toPeer(ws, principal.userId, principal.tokenId, deps.peerBounds, false);
  deps.hub.attachClient(peer);
  ws.on('close', (code) => {
    peer.closed();
    deps.hub.detachClient(peer);
    deps.log.info({ event: 'ws_client_closed', clientId, userId: principal.userId, code }, 'client disconnected');
  });
  ws.send(JSON.stringify({
    type: 'welcome', status: 'connected', client_id: clientId, protocol_version: PROTOCOL_VERSION,
    message: 'Client WebSocket connection established',
  }));
  deps.log.info({ event: 'ws_client_open', clientId, userId: principal.userId }, 'client connected');

  return (text: string, isBinary: boolean) => {
    let packet;
    try {
      packet = packetOrNull(text, isBinary, 'Missing');
    } catch (error) {
      // Through the peer, so a client that floods bad frames but never reads stays bounded (F7).
      peer.send(errorFrame(error));
      return;
    }
    if (!packet) return;
    const target = packet.deviceId;
    deps.relay.submitCommand(principal, packet, { kind: 'ws', client: peer }).then(
      ({ delivered, queued }) => {
        peer.send(JSON.stringify({
          status: 'success', device_id: target, delivered, queued,
          message: delivered ? 'Delivered to device' : 'Device offline, queued',
        }));
      },
      (error: unknown) => {
        if (!(error instanceof RelayError)) deps.log.error({ err: error, clientId }, 'client frame failed');
        peer.send(errorFrame(error));
      },
    );
  };
}
