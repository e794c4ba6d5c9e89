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
 * The peers whose last send left bytes unsent in user space, checked by one timer for all of them
 * (issue 17): a timer and a write callback per send cost more than the rest of a send. A peer
 * still holding unsent bytes at every check for `drainTimeoutMs` (from the send that first left
 * some) stopped reading; it is closed between 1 and 1.25 times that after. Sends the kernel takes
 * at once, the normal case, are never watched.
 */
const backlogged = new Set<WsPeer>();
let sweepTimer: NodeJS.Timeout | undefined;
/** When the armed sweep runs (performance.now()). */
let sweepAt = Number.POSITIVE_INFINITY;

function tickOf(peer: WsPeer): number {
  return Math.max(10, peer.drainTimeoutMs / 4);
}

function watch(peer: WsPeer): void {
  backlogged.add(peer);
  arm(performance.now() + tickOf(peer));
}

/** (Re)arms the one sweep timer for `at`, unless it already runs earlier. */
function arm(at: number): void {
  if (sweepTimer && sweepAt <= at) return;
  clearTimeout(sweepTimer);
  sweepAt = at;
  sweepTimer = setTimeout(sweep, Math.max(0, at - performance.now()));
  sweepTimer.unref();
}

function sweep(): void {
  sweepTimer = undefined;
  sweepAt = Number.POSITIVE_INFINITY;
  const now = performance.now();
  let next = Number.POSITIVE_INFINITY;
  for (const peer of backlogged) {
    if (peer.checkDrained(now)) backlogged.delete(peer);
    else next = Math.min(next, now + tickOf(peer));
  }
  if (next !== Number.POSITIVE_INFINITY) arm(next);
}

/**
 * Peers corked during this turn of the event loop (issue 17). Under load, every socket's frames of
 * a turn (a command's reply and its ACK, say) go to the kernel in one write per socket, in the
 * check phase after all the turn's reads: measured at 100 pairs, 1.2–1.3× round trips/s and
 * 0.78–0.86× relay CPU per round trip. A lightly loaded relay (a check-phase batch of at most two
 * peers) writes at once instead for the next LIGHT_LOAD_SENDS sends, then samples the load again:
 * there the extra loop phase would only add latency. Corked bytes count against the same
 * send-buffer cap as any other.
 */
const corked: WsPeer[] = [];
let uncorkScheduled = false;
const LIGHT_LOAD_SENDS = 64;
let lightLoadSendsLeft = 0;

function uncorkAll(): void {
  uncorkScheduled = false;
  if (corked.length <= 2) lightLoadSendsLeft = LIGHT_LOAD_SENDS;
  for (const peer of corked.splice(0)) {
    // One socket's failure (its errors are emitted on it) must not leave the others corked.
    try {
      peer.uncork();
    } catch {
      // nothing more to do for that socket
    }
  }
}

/** Whether this send waits for the end of the turn (and schedules that end's uncork). */
function corkThisSend(): boolean {
  if (uncorkScheduled) return true;
  if (lightLoadSendsLeft > 0) {
    lightLoadSendsLeft -= 1;
    return false;
  }
  uncorkScheduled = true;
  setImmediate(uncorkAll);
  return true;
}

/** `ws` has no cork of its own; its `_socket` is the net.Socket every frame is written to. */
type CorkableSocket = { cork(): void; uncork(): void };
const socketOf = (ws: WebSocket): CorkableSocket | undefined => (ws as unknown as { _socket?: CorkableSocket })._socket;

/**
 * Adapts a `ws` socket to the hub's PeerSocket and enforces the slow-consumer rule (F7): a peer
 * whose send buffer passes the cap, or whose writes have not drained within the timeout, is
 * closed with 1013 and cut after a short grace, so one stalled reader holds bounded memory.
 * A class with methods rather than per-connection closures: thousands of idle sockets each keep one.
 */
class WsPeer implements PeerSocket {
  readonly id = `peer-${++peerCount}`;
  /** When a send first left unsent bytes, still not drained at the last check; 0: none. */
  private backlogSince = 0;
  private cutTimer: NodeJS.Timeout | undefined;
  /** Frames of this turn wait in the socket for `uncorkAll`. */
  private isCorked = false;

  constructor(
    private readonly ws: WebSocket,
    readonly userId: number,
    readonly tokenId: number | null,
    private readonly bounds: PeerBounds,
  ) {}

  get drainTimeoutMs(): number {
    return this.bounds.drainTimeoutMs;
  }

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
    if (!this.isCorked) this.cork();
    ws.send(text);
    if (!this.isCorked) this.checkBacklog();
    return true;
  }

  /** The end of the turn (uncorkAll): the turn's frames go to the kernel in one write. */
  uncork(): void {
    this.isCorked = false;
    socketOf(this.ws)?.uncork();
    this.checkBacklog();
  }

  private cork(): void {
    const socket = socketOf(this.ws);
    if (!socket || !corkThisSend()) return;
    socket.cork();
    this.isCorked = true;
    corked.push(this);
  }

  private checkBacklog(): void {
    if (this.backlogSince === 0 && this.ws.readyState === WebSocket.OPEN && this.ws.bufferedAmount > 0) {
      this.backlogSince = performance.now();
      watch(this);
    }
  }

  /** The sweep's check: true once there is nothing more to watch (drained, closed, or closed now as slow). */
  checkDrained(now: number): boolean {
    if (this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount === 0) {
      this.backlogSince = 0;
      return true;
    }
    if (now - this.backlogSince < this.bounds.drainTimeoutMs) return false;
    this.closeSlow();
    return true;
  }

  close(code: number, reason: string): void {
    const { ws } = this;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
  }

  /** Called once the socket has closed (sessions.ts routes its single `close` listener here). */
  closed(): void {
    backlogged.delete(this);
    clearTimeout(this.cutTimer);
  }

  private closeSlow(): void {
    this.backlogSince = 0;
    backlogged.delete(this);
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
