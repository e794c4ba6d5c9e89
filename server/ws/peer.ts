import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { PeerSocket } from '../hub/types';
import { closeCodeFor } from '../errors';
import { LIMITS } from '../limits';

/** Adapts a `ws` socket to the hub's PeerSocket, enforcing the send-buffer bound (F7). */
export function toPeer(ws: WebSocket, userId: number, tokenId: number | null): PeerSocket {
  const id = randomUUID();
  return {
    id,
    userId,
    tokenId,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send(text) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      if (ws.bufferedAmount > LIMITS.wsMaxBufferedBytes) {
        ws.close(closeCodeFor('SLOW_CONSUMER'), 'slow consumer');
        return false;
      }
      ws.send(text);
      return true;
    },
    close(code, reason) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
}
