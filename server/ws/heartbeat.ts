import type { WebSocket, WebSocketServer } from 'ws';

const alive = new WeakSet<WebSocket>();

/** One listener shared by every socket (`this` is the socket), not a closure per connection. */
function markAlive(this: WebSocket): void {
  alive.add(this);
}

/** Marks a socket as alive now and on every pong. */
export function trackLiveness(ws: WebSocket): void {
  alive.add(ws);
  ws.on('pong', markAlive);
}

/**
 * Pings every socket each interval; one that has not ponged since the previous ping is terminated,
 * so a dead peer is found within two intervals (C4, F6).
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
