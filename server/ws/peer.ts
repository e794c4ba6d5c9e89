import { WebSocket } from 'ws';
import type { PeerSocket } from '../hub/types';
import { closeCodeFor } from '../errors';
import { LIMITS } from '../limits';

/** Send-side bounds of one socket (F7); tests shrink them. */
export interface PeerBounds {
  /** Above this many unsent bytes the peer is closed instead of buffered further. */
  maxBufferedBytes: number;
  /** A send still unflushed after this long means the peer stopped reading. */
  drainTimeoutMs: number;
  /** Time the 1013 close handshake gets before the TCP connection is cut. */
  closeGraceMs: number;
}

export const DEFAULT_PEER_BOUNDS: PeerBounds = {
  maxBufferedBytes: LIMITS.wsMaxBufferedBytes,
  drainTimeoutMs: LIMITS.wsDrainTimeoutMs,
  closeGraceMs: LIMITS.wsSlowCloseGraceMs,
};

/** Process-wide counter: ids only need to be unique within this process, and a short flat string is cheap to hold. */
let peerCount = 0;

/**
 * Adapts a `ws` socket to the hub's PeerSocket and enforces the slow-consumer rule (F7): a peer
 * whose send buffer passes the cap, or whose writes have not drained within the timeout, is
 * closed with 1013 and cut after a short grace, so one stalled reader holds bounded memory.
 * A class with methods rather than per-connection closures: thousands of idle sockets each keep one.
 */
class WsPeer implements PeerSocket {
  readonly id = `peer-${++peerCount}`;
  /** Sends handed to the socket whose write callback has not run yet (still in our user-space buffer). */
  private unflushed = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  /** One write callback shared by every send of this peer; made on its first send (idle sockets never need it). */
  private onWritten: (() => void) | undefined = undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly userId: number,
    readonly tokenId: number | null,
    private readonly bounds: PeerBounds,
  ) {}

  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(text: string): boolean {
    const { ws } = this;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount + Buffer.byteLength(text) > this.bounds.maxBufferedBytes) {
      this.closeSlow();
      return false;
    }
    this.unflushed += 1;
    if (this.unflushed === 1) {
      this.drainTimer = setTimeout(() => this.closeSlow(), this.bounds.drainTimeoutMs);
      this.drainTimer.unref();
    }
    ws.send(text, (this.onWritten ??= () => {
      this.unflushed -= 1;
      if (this.unflushed === 0) clearTimeout(this.drainTimer);
    }));
    return true;
  }

  close(code: number, reason: string): void {
    const { ws } = this;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
  }

  /** Called once the socket has closed (sessions.ts routes its single `close` listener here). */
  closed(): void {
    clearTimeout(this.drainTimer);
    clearTimeout(this.cutTimer);
  }

  private closeSlow(): void {
    clearTimeout(this.drainTimer);
    const { ws } = this;
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.close(closeCodeFor('SLOW_CONSUMER'), 'slow consumer');
    // The close frame waits behind unread data; a peer that never reads must not keep it forever.
    this.cutTimer = setTimeout(() => ws.terminate(), this.bounds.closeGraceMs);
    this.cutTimer.unref();
  }
}

export type Peer = PeerSocket & { closed(): void };

/**
 * Wraps `ws`. `listenForClose` (default) clears the peer's timers on close by itself; sessions
 * that already have a `close` listener pass false and call `peer.closed()` from it.
 */
export function toPeer(ws: WebSocket, userId: number, tokenId: number | null, bounds: PeerBounds = DEFAULT_PEER_BOUNDS, listenForClose = true): Peer {
  const peer = new WsPeer(ws, userId, tokenId, bounds);
  if (listenForClose) ws.once('close', () => peer.closed());
  return peer;
}
