/**
 * The socket class our WebSocket client runs on. The SDK's websocket client does its work inside
 * the socket callback and throws there on ordinary events (a refused connect that the lin socket
 * reports as connected, then "write failed"; a reset in mid-handshake): thrown from a socket
 * callback, that aborts the XS machine. The client takes its socket class as an option, so it gets
 * this one: the real socket (plain or TLS) underneath, and every callback into the client guarded.
 * A throw inside the client closes the socket and reports `fault` once; the link reconnects.
 */
import { Socket } from 'socket';
import { reportFault } from './guard';

type SocketCallback = (message: number, value?: unknown) => void;

interface InnerSocket {
  callback: SocketCallback;
  read(...args: unknown[]): unknown;
  write(...args: unknown[]): unknown;
  close(): void;
}

export interface GuardedSocketOptions {
  /** The socket class underneath: `Socket`, or `SecureSocket` for wss. */
  inner?: new (dictionary: object) => InnerSocket;
  /** Runs once when the client threw or the socket failed to close. */
  fault: () => void;
}

export class GuardedSocket {
  #socket: InnerSocket | null;
  #client: SocketCallback | null = null;
  #fault: (() => void) | null;

  constructor(dictionary: GuardedSocketOptions & object) {
    const Inner = dictionary.inner ?? (Socket as unknown as new (dictionary: object) => InnerSocket);
    this.#fault = dictionary.fault;
    const socket = new Inner(dictionary);
    this.#socket = socket;
    socket.callback = (message, value) => {
      const client = this.#client;
      if (!client || !this.#socket) return;
      try {
        client(message, value);
      } catch (error) {
        reportFault('websocket client', error);
        this.close();
        this.#raise();
      }
    };
  }

  get callback(): SocketCallback | null {
    return this.#client;
  }

  set callback(callback: SocketCallback | null) {
    this.#client = callback;
  }

  read(...args: unknown[]): unknown {
    return this.#socket ? this.#socket.read(...args) : undefined;
  }

  /** Throws like the socket does; the client calls it inside the guarded callback or our send(). */
  write(...args: unknown[]): unknown {
    if (!this.#socket) throw new Error('write on closed socket');
    return this.#socket.write(...args);
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    try {
      socket.close();
    } catch (error) {
      reportFault('websocket close', error);
    }
  }

  #raise(): void {
    const fault = this.#fault;
    this.#fault = null;
    fault?.();
  }
}
