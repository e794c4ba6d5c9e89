/**
 * Relays that misbehave, on 127.0.0.1, for the fault cases: nothing listening, a reset on accept,
 * bytes that are not HTTP, and a WebSocket server that sends garbage frames and then an error
 * frame. Each records when a device connected, so a test can see it come back with backoff.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { WebSocketServer } from 'ws';

export interface BadRelay {
  url: string;
  /** Times (Date.now()) at which a connection arrived. */
  connections: number[];
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') reject(new Error('not bound'));
      else resolve(address.port);
    });
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was just free: connecting to it is refused. */
export async function refusingRelay(): Promise<BadRelay> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { url: `ws://127.0.0.1:${port}`, connections: [], close: async () => undefined };
}

/** Accepts each connection and resets it at once (RST, no bytes). */
export async function resettingRelay(): Promise<BadRelay> {
  const connections: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.push(Date.now());
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resetAndDestroy();
  });
  const port = await listen(server);
  return { url: `ws://127.0.0.1:${port}`, connections, close: () => closeServer(server, sockets) };
}

/** Reads the upgrade request, answers with random bytes and a broken status line, then closes. */
export async function garbageHttpRelay(): Promise<BadRelay> {
  const connections: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.push(Date.now());
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(randomBytes(64));
      socket.end('\r\nHTTP/1.1 101\r\nnot: a header line without end');
    });
  });
  const port = await listen(server);
  return { url: `ws://127.0.0.1:${port}`, connections, close: () => closeServer(server, sockets) };
}

/**
 * Completes the WebSocket handshake, then sends what no relay should: text that is not JSON, a
 * binary frame, a packet-shaped object with garbage in it, a frame far over the device's size cap,
 * and finally an error status frame (on which a v1.0 device drops the link and comes back).
 */
export async function garbageFrameRelay(): Promise<BadRelay & { repliesFromDevice: string[] }> {
  const connections: number[] = [];
  const repliesFromDevice: string[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) => {
    connections.push(Date.now());
    socket.on('error', () => undefined);
    socket.on('message', (data) => repliesFromDevice.push(data.toString()));
    socket.send('this is not json {');
    socket.send(randomBytes(32));
    socket.send(JSON.stringify({ device_id: 'WL1', payload: 'zz', signature: 'nothex', version: '1.0' }));
    // Last, after the device has answered the above: a frame over its cap (the Moddable client
    // cannot read a frame split over several socket reads and drops the link; others drop the frame).
    setTimeout(() => socket.send('x'.repeat(3000)), 300);
    setTimeout(() => socket.send(JSON.stringify({ status: 'error', error: 'GARBAGE_TEST' })), 600);
  });
  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    repliesFromDevice,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}
