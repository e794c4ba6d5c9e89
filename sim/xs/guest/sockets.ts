/** TCP, UDP and WebSocket seams inside XS: every operation is a host call, every callback a host event. */
import type {
  TcpConnection, TcpConnectionHandler, TcpServerFactory, UdpFactory, WebSocketClient, WebSocketFactory, WebSocketHandlers,
} from '../../../firmware/platform/types';
import { fromHex, toHex } from '../../../shared/index';
import type { HostEvent } from '../protocol';
import { callHost } from './channel';
import { Registry } from './registry';

type Accept = (connection: TcpConnection) => TcpConnectionHandler;

export class GuestSockets {
  private readonly listeners = new Registry<Accept>();
  private readonly connections = new Registry<TcpConnectionHandler | null>();
  private readonly sockets = new Registry<true>();
  private readonly webSockets = new Registry<WebSocketHandlers>();

  /** A logic callback threw: log it through the host, never into the VM. */
  constructor(private readonly report: (what: string, error: unknown) => void) {}

  private guard(what: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.report(what, error);
    }
  }

  readonly tcp: TcpServerFactory = {
    listen: (port, accept) => {
      const listener = this.listeners.add(accept);
      try {
        callHost({ op: 'tcp.listen', listener, port });
      } catch (error) {
        this.listeners.delete(listener);
        throw error;
      }
      let closed = false;
      return {
        close: () => {
          if (closed) return;
          closed = true;
          this.listeners.delete(listener);
          callHost({ op: 'tcp.unlisten', listener });
        },
      };
    },
  };

  readonly udp: UdpFactory = {
    open: (localPort) => {
      const socket = this.sockets.add(true);
      callHost(localPort === undefined ? { op: 'udp.open', socket } : { op: 'udp.open', socket, localPort });
      return {
        send: (data, address, port) => {
          if (this.sockets.get(socket) === undefined) throw new Error('UDP socket is closed');
          callHost({ op: 'udp.send', socket, hex: toHex(data), address, port });
        },
        close: () => {
          if (this.sockets.delete(socket)) callHost({ op: 'udp.close', socket });
        },
      };
    },
  };

  readonly websocket: WebSocketFactory = {
    connect: (options, handlers): WebSocketClient => {
      const ws = this.webSockets.add(handlers);
      const request = { op: 'ws.connect' as const, ws, url: options.url, headers: options.headers, verifyTls: options.verifyTls };
      callHost(options.protocol === undefined ? request : { ...request, protocol: options.protocol });
      return {
        send: (text) => {
          if (this.webSockets.get(ws) !== undefined) callHost({ op: 'ws.send', ws, text });
        },
        ping: () => (this.webSockets.get(ws) === undefined ? true : callHost({ op: 'ws.ping', ws }) === true),
        close: () => {
          if (this.webSockets.delete(ws)) callHost({ op: 'ws.close', ws });
        },
      };
    },
  };

  private accept(listener: number, conn: number, remoteAddress: string): void {
    const accept = this.listeners.get(listener);
    if (accept === undefined) {
      callHost({ op: 'tcp.close', conn });
      return;
    }
    this.connections.set(conn, null);
    const connection: TcpConnection = {
      remoteAddress,
      write: (data) => {
        if (this.connections.get(conn) === undefined) return;
        callHost(typeof data === 'string' ? { op: 'tcp.write', conn, text: data } : { op: 'tcp.write', conn, hex: toHex(data) });
      },
      close: () => {
        if (this.connections.delete(conn)) callHost({ op: 'tcp.close', conn });
      },
    };
    let handler: TcpConnectionHandler | undefined;
    try {
      handler = accept(connection);
    } catch (error) {
      this.report('accept', error);
    }
    if (handler === undefined) connection.close();
    else if (this.connections.get(conn) === null) this.connections.set(conn, handler);
  }

  /** Returns true when the event was a socket event (handled or dropped). */
  dispatch(event: HostEvent): boolean {
    switch (event.ev) {
      case 'tcp.accept':
        this.accept(event.listener, event.conn, event.remoteAddress);
        return true;
      case 'tcp.data': {
        const handler = this.connections.get(event.conn);
        if (handler) this.guard('tcp data', () => handler.data(fromHex(event.hex)));
        return true;
      }
      case 'tcp.end': {
        const handler = this.connections.get(event.conn);
        if (handler) this.guard('tcp end', () => handler.end());
        return true;
      }
      case 'ws.open': {
        const handlers = this.webSockets.get(event.ws);
        if (handlers) this.guard('ws open', () => handlers.open());
        return true;
      }
      case 'ws.message': {
        const handlers = this.webSockets.get(event.ws);
        if (handlers) this.guard('ws message', () => handlers.message(event.text));
        return true;
      }
      case 'ws.pong': {
        const handlers = this.webSockets.get(event.ws);
        if (handlers) this.guard('ws pong', () => handlers.pong());
        return true;
      }
      case 'ws.close': {
        const handlers = this.webSockets.get(event.ws);
        // Fires once: forget the socket first so nothing else reaches the logic for it.
        if (handlers && this.webSockets.delete(event.ws)) this.guard('ws close', () => handlers.close());
        return true;
      }
      default:
        return false;
    }
  }
}

