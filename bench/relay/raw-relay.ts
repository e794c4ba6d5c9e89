/**
 * The ceiling for every relay figure: the least a WebSocket relay can do with the same `ws` library
 * and the same frames. `/pair/{n}/device` and `/pair/{n}/client?device_id=…` are paired by n; each
 * text frame is forwarded to the other side as is, and a client frame is also answered with the
 * relay's v1.0 ACK (same bytes, built per frame as the relay builds it), so both servers make the
 * same number of writes per round trip. No auth, no routing table beyond the pair, no JSON
 * parsing, no database. Started as its own process (like the relay); reports its port over IPC.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { pairOf, PAIR_MAX_PAYLOAD_BYTES, deliveredAck } from './pair-paths';

interface Pair {
  device?: WebSocket;
  client?: WebSocket;
}

const pairs = new Map<string, Pair>();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, maxPayload: PAIR_MAX_PAYLOAD_BYTES, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const target = pairOf(req.url);
  if (!target) return ws.close(1008, 'unknown path');
  const { id, side, deviceId } = target;
  const pair = pairs.get(id) ?? {};
  pairs.set(id, pair);
  pair[side] = ws;
  const other = side === 'device' ? 'client' : 'device';
  const forward = (data: RawData, isBinary: boolean) => pair[other]?.send(data, { binary: isBinary });
  ws.on('message', side === 'device' || deviceId === null ? forward : (data, isBinary) => {
    forward(data, isBinary);
    ws.send(deliveredAck(deviceId));
  });
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
