/**
 * Baseline for every relay figure: the least a WebSocket relay can do with the same `ws` library.
 * `/pair/{n}/device` and `/pair/{n}/client` are paired by n; each text frame is forwarded to the
 * other side as is. No auth, no routing table beyond the pair, no JSON parsing, no database.
 * Started as its own process (like the relay); reports its port over IPC.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/** Same incoming frame bound as the relay, so neither side can be flooded differently. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
const PATH = /^\/pair\/(\d{1,6})\/(device|client)$/;

interface Pair {
  device?: WebSocket;
  client?: WebSocket;
}

const pairs = new Map<string, Pair>();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const match = PATH.exec(req.url ?? '');
  if (!match) return ws.close(1008, 'unknown path');
  const [, id, side] = match as unknown as [string, string, 'device' | 'client'];
  const pair = pairs.get(id) ?? {};
  pairs.set(id, pair);
  pair[side] = ws;
  const other = side === 'device' ? 'client' : 'device';
  ws.on('message', (data, isBinary) => pair[other]?.send(data, { binary: isBinary }));
  ws.on('close', () => {
    if (pair[side] === ws) delete pair[side];
    if (!pair.device && !pair.client) pairs.delete(id);
  });
  ws.on('error', () => ws.terminate());
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ listening: port });
  else process.stdout.write(`raw relay listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
