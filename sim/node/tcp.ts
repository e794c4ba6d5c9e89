import net from 'node:net';
import type { TcpConnection, TcpConnectionHandler, TcpListener, TcpServerFactory } from '../../firmware/platform/types';
import { guarded, type BootResources } from './resources';

/** A connection the logic closed is destroyed if the peer has not drained it by then (bounded linger). */
export const CLOSE_LINGER_MS = 2000;
/** The simulator listens on loopback only: the LAN of the machine running it never sees the device. */
export const LISTEN_HOST = '127.0.0.1';

export interface NodeTcpOptions {
  resources: BootResources;
  onError: (error: unknown) => void;
  /** Servers already bound by the simulator (so port 0 and bind errors are settled before boot), by requested port. */
  prebound: Map<number, net.Server>;
  /** A listen that fails after the fact (the seam's `listen` cannot throw asynchronously). */
  onListenError: (port: number, error: Error) => void;
}

function wrapConnection(socket: net.Socket, options: NodeTcpOptions, accept: (connection: TcpConnection) => TcpConnectionHandler): void {
  let closedByLogic = false;
  let ended = false;
  let handler: TcpConnectionHandler | undefined;
  const untrack = options.resources.track(() => socket.destroy());
  socket.once('close', untrack);
  const connection: TcpConnection = {
    remoteAddress: socket.remoteAddress ?? '',
    write(data) {
      if (closedByLogic || socket.destroyed || !socket.writable) return;
      socket.write(typeof data === 'string' ? data : Buffer.from(data));
    },
    close() {
      if (closedByLogic) return;
      closedByLogic = true;
      if (socket.destroyed) return;
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
    },
  };
  const endOnce = (): void => {
    if (ended || closedByLogic || handler === undefined) return;
    ended = true;
    guarded(options.onError, () => handler!.end());
  };
  socket.on('data', (chunk: Buffer) => {
    if (closedByLogic || ended || handler === undefined) return;
    // The seam hands ownership of the bytes to the logic: give it a private copy.
    const bytes = new Uint8Array(chunk.byteLength);
    bytes.set(chunk);
    guarded(options.onError, () => handler!.data(bytes));
  });
  socket.on('end', endOnce);
  socket.on('error', endOnce);
  socket.on('close', endOnce);
  guarded(options.onError, () => {
    handler = accept(connection);
  });
  if (handler === undefined) connection.close();
}

export function createNodeTcp(options: NodeTcpOptions): TcpServerFactory {
  return {
    listen(port, accept): TcpListener {
      let server = options.prebound.get(port);
      options.prebound.delete(port);
      // Until now the pre-bound server refused every connection (see prebindTcp).
      server?.removeAllListeners('connection');
      // allowHalfOpen: a v1.0 client may half-close after its line and still expect the reply (spec 3.1).
      if (server === undefined) {
        server = net.createServer({ allowHalfOpen: true });
        server.once('error', (error) => options.onListenError(port, error));
        server.listen(port, LISTEN_HOST);
      }
      const listening = server;
      let closed = false;
      listening.on('connection', (socket) => {
        if (closed) {
          socket.destroy();
          return;
        }
        wrapConnection(socket, options, accept);
      });
      const close = (): void => {
        if (closed) return;
        closed = true;
        untrack();
        listening.close();
      };
      const untrack = options.resources.track(close);
      return { close };
    },
  };
}

/**
 * Binds a loopback listener before boot; resolves with the server and its real port. Until the
 * logic listens on that port, connections are refused (reset), as on a board with no listener.
 */
export function prebindTcp(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, LISTEN_HOST, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function boundPort(server: net.Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not bound to a TCP port');
  return address.port;
}
