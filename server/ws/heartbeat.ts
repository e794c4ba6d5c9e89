import type { WebSocketServer } from 'ws';
import type { RelaySocket } from './relay-socket';

/** Marks a socket as alive now; every pong marks it again (RelaySocket.emit: no listener per socket). */
export function trackLiveness(ws: RelaySocket): void {
  ws.alive = true;
}

/**
 * One timer per server pings every socket each interval (no timer per socket); one that has not
 * ponged since the previous ping is terminated, so a dead peer is found within two intervals (C4, F6).
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const timer = setInterval(() => {
    // Every server of the gateway makes RelaySockets (upgrade.ts passes the `WebSocket` option).
    for (const ws of wss.clients as Set<RelaySocket>) {
      if (!ws.alive) {
        ws.terminate();
        continue;
      }
      ws.alive = false;
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
