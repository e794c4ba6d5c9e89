/**
 * The second reference: a Node relay that does only the JSON work of the v1.0 WS path, with the
 * relay's own parser and shape checks (server/relay/packets.ts: parseFrame, validatePacket) and
 * its frame builders (deviceFrame, clientFrame), and nothing else: no auth, database, routing
 * table, in-flight tracking, rate limits or logging. Same paths as raw-relay.ts. A client packet is
 * parsed, validated, re-serialised and forwarded to the paired device, then ACKed (the relay's
 * bytes); a device reply is parsed, validated, re-serialised and forwarded to the client.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { RelayError, wsErrorFrame } from '../../server/errors';
import { clientFrame, deviceFrame, parseFrame, validatePacket } from '../../server/relay/packets';
import { pairOf, PAIR_MAX_PAYLOAD_BYTES, deliveredAck } from './pair-paths';

interface Pair {
  device?: WebSocket;
  client?: WebSocket;
}

const pairs = new Map<string, Pair>();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, maxPayload: PAIR_MAX_PAYLOAD_BYTES, perMessageDeflate: false });

/** The frame as text, without copying a Buffer the way the relay did before issue 17. */
const textOf = (data: RawData): string =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');

function refuse(ws: WebSocket, error: unknown): void {
  ws.send(error instanceof RelayError ? wsErrorFrame(error.wire, error.detail) : wsErrorFrame('INTERNAL', 'Internal error'));
}

wss.on('connection', (ws, req) => {
  const target = pairOf(req.url);
  if (!target) return ws.close(1008, 'unknown path');
  const { id, side } = target;
  const pair = pairs.get(id) ?? {};
  pairs.set(id, pair);
  pair[side] = ws;
  ws.on('message', (data) => {
    try {
      if (side === 'client') {
        const packet = validatePacket(parseFrame(textOf(data)), 'Missing');
        pair.device?.send(deviceFrame(packet));
        ws.send(deliveredAck(packet.deviceId));
      } else {
        const packet = validatePacket(parseFrame(textOf(data)), 'Missing fields');
        pair.client?.send(clientFrame(packet));
      }
    } catch (error) {
      refuse(ws, error);
    }
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
  else process.stdout.write(`json relay listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
