import { randomUUID } from 'node:crypto';
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

/**
 * Adapts a `ws` socket to the hub's PeerSocket and enforces the slow-consumer rule (F7): a peer
 * whose send buffer passes the cap, or whose writes have not drained within the timeout, is
 * closed with 1013 and cut after a short grace, so one stalled reader holds bounded memory.
 */
export function toPeer(ws: WebSocket, userId: number, tokenId: number | null, bounds: PeerBounds = DEFAULT_PEER_BOUNDS): PeerSocket {
  const id = randomUUID();
  // Sends handed to the socket whose write callback has not run yet (still in our user-space buffer).
  let unflushed = 0;
  let drainTimer: NodeJS.Timeout | undefined;
  let cutTimer: NodeJS.Timeout | undefined;

  const closeSlow = () => {
    clearTimeout(drainTimer);
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.close(closeCodeFor('SLOW_CONSUMER'), 'slow consumer');
    // The close frame waits behind unread data; a peer that never reads must not keep it forever.
    cutTimer = setTimeout(() => ws.terminate(), bounds.closeGraceMs);
    cutTimer.unref();
  };
  ws.once('close', () => {
    clearTimeout(drainTimer);
    clearTimeout(cutTimer);
  });

  return {
    id,
    userId,
    tokenId,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send(text) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      if (ws.bufferedAmount + Buffer.byteLength(text) > bounds.maxBufferedBytes) {
        closeSlow();
        return false;
      }
      unflushed += 1;
      if (unflushed === 1) {
        drainTimer = setTimeout(closeSlow, bounds.drainTimeoutMs);
        drainTimer.unref();
      }
      ws.send(text, () => {
        unflushed -= 1;
        if (unflushed === 0) clearTimeout(drainTimer);
      });
      return true;
    },
    close(code, reason) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
}
