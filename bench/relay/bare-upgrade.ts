/**
 * The floor under any Node WebSocket server, for the idle section: the HTTP upgrade is answered
 * (a correct 101, so a `ws` client opens) and the upgraded TCP socket is held with nothing else on
 * it: no WebSocket object, no frame parser, no sender. What a socket costs here is what Node's
 * socket, its handle and the HTTP server's upgrade path keep; a leaner WebSocket implementation
 * than `ws` could not go below it. Not a relay: frames that arrive are dropped unread.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const held = new Set<Duplex>();

function dropData(): void {}
function forget(this: Duplex): void {
  held.delete(this);
}

const server = createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', (req, socket: Duplex) => {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string') return void socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on('data', dropData);
  socket.on('close', forget);
  socket.on('error', forget);
  held.add(socket);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ listening: port });
  else process.stdout.write(`bare upgrade server listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
