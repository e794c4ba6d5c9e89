import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { closeCodeFor } from '../errors';
import type { Hub } from '../hub/types';
import { LIMITS } from '../limits';
import type { Clock } from '../time';
import { TokenBucket } from './rate-limiter';

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

/**
 * Bounds what one device socket can make the relay do (F8, issue 12 item 1). A packet arriving
 * while no command is in flight on this socket answers nothing: within a small budget it is
 * handled as before (F14), beyond it dropped before it is even parsed, and after enough drops the
 * socket is closed 1008. Packets that may answer a command are never dropped (FIFO); only a rate
 * far above any honest device's closes the socket. Typed frames (events, pings) are no replies:
 * they pass `admitAny` only, and their own budgets apply in the router (issue 13).
 */
export class DeviceFrameGuard {
  private readonly unsolicited: TokenBucket;
  private readonly all: TokenBucket;
  private dropped = 0;
  private closing = false;

  constructor(
    private readonly hub: Hub,
    private readonly log: FastifyBaseLogger,
    private readonly ws: WebSocket,
    private readonly deviceId: string,
    private readonly socketId: string,
    clock: Clock,
    private readonly bounds: DeviceFrameBounds = DEFAULT_DEVICE_FRAME_BOUNDS,
  ) {
    this.unsolicited = new TokenBucket(LIMITS.deviceUnsolicitedPerSecond, bounds.unsolicitedBurst, clock);
    this.all = new TokenBucket(bounds.messagesPerSecond, bounds.messageBurst, clock);
  }

  /** Any frame: false when the socket is closing or over its total frame rate (then it is closed). */
  admitAny(): boolean {
    if (this.closing) return false;
    return this.all.take() || this.shut('device frame rate');
  }

  /** A v1.0 packet (a reply): false to drop it without reading it. */
  admitPacket(): boolean {
    if (this.answersOne() || this.unsolicited.take()) return true;
    this.dropped += 1;
    if (this.dropped >= this.bounds.unsolicitedDropsBeforeClose) return this.shut('unsolicited frames');
    return false;
  }

  /** A command is in flight on this socket (a plain loop: this runs for every reply). */
  private answersOne(): boolean {
    const list = this.hub.inFlight(this.deviceId);
    for (let i = 0; i < list.length; i++) if (list[i]!.socketId === this.socketId) return true;
    return false;
  }

  private shut(reason: string): false {
    this.closing = true;
    this.log.warn({ event: 'ws_device_flood', deviceId: this.deviceId, reason, dropped: this.dropped }, 'device socket closed: too many frames');
    this.ws.close(closeCodeFor('RATE_LIMITED'), reason);
    // Frames already buffered are dropped unread; a peer that does not finish the close is cut.
    setTimeout(() => this.ws.terminate(), LIMITS.wsSlowCloseGraceMs).unref();
    return false;
  }
}
