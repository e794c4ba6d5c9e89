/**
 * TCP listener on Moddable `socket`. Writes are queued and flushed as lwIP reports free send
 * space (message 3), because `write` throws when the send buffer is full; `close` waits for the
 * queue to drain, bounded by FLUSH_LIMIT_MS.
 */
import { Listener, Socket } from 'socket';
import type { TcpConnection, TcpConnectionHandler, TcpListener, TcpServerFactory, Timers } from '../types';
import { fromArrayBuffer, toArrayBuffer } from './bytes';

const MSG_ERROR = -2;
const MSG_DISCONNECT = -1;
const MSG_DATA = 2;
const MSG_SENT = 3;
/** Longest a closing connection may wait for its reply to leave. */
const FLUSH_LIMIT_MS = 2000;

type TcpSocket = InstanceType<typeof Socket> & { write(...data: Array<ArrayBuffer | string | number>): number | void };

class ModdableConnection implements TcpConnection {
  readonly remoteAddress = '';
  handler: TcpConnectionHandler | null = null;
  private queue: Uint8Array[] = [];
  private closing = false;
  private closed = false;
  private ended = false;

  constructor(private readonly socket: TcpSocket, private readonly timers: Timers) {
    socket.callback = (message: number, value?: number) => {
      try {
        this.onMessage(message, value ?? 0);
      } catch (error) {
        trace(`[error] tcp callback: ${String(error)}\n`);
        this.destroy();
      }
    };
  }

  write(data: Uint8Array | string): void {
    if (this.closed || this.closing) return;
    this.queue.push(new Uint8Array(toArrayBuffer(data)));
    this.flush();
  }

  close(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    this.handler = null;
    if (this.queue.length === 0) this.destroy();
    else this.timers.setTimeout(() => this.destroy(), FLUSH_LIMIT_MS);
  }

  private onMessage(message: number, value: number): void {
    if (this.closed) return;
    if (message === MSG_DATA && value > 0) {
      const chunk = fromArrayBuffer(this.socket.read(ArrayBuffer));
      this.handler?.data(chunk);
    } else if (message === MSG_SENT) {
      this.flush();
      if (this.closing && this.queue.length === 0) this.destroy();
    } else if (message === MSG_DISCONNECT || message === MSG_ERROR) {
      this.queue = [];
      if (!this.ended) {
        this.ended = true;
        this.handler?.end();
      }
      if (this.closing) this.destroy();
    }
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.closed) {
      const free = this.socket.write() as number;
      if (!(free > 0)) return;
      const head = this.queue[0]!;
      const part = head.length <= free ? head : head.subarray(0, free);
      this.socket.write(toArrayBuffer(part));
      if (part === head) this.queue.shift();
      else this.queue[0] = head.subarray(free);
    }
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    this.queue = [];
    try {
      this.socket.close();
    } catch {
      // already gone
    }
  }
}

export function createModdableTcp(timers: Timers): TcpServerFactory {
  return {
    listen(port, accept): TcpListener {
      const listener = new Listener({ port });
      listener.callback = function (this: InstanceType<typeof Listener>) {
        const socket = new Socket({ listener: this }) as TcpSocket;
        const connection = new ModdableConnection(socket, timers);
        connection.handler = accept(connection);
      };
      return { close: () => (listener as unknown as { close(): void }).close() };
    },
  };
}
