/**
 * TCP listener on Moddable `socket`. Writes are queued and flushed as lwIP reports free send
 * space (message 3), because `write` throws when the send buffer is full; `close` waits for the
 * queue to drain, bounded by FLUSH_LIMIT_MS.
 *
 * Received data is read in the socket callback but handed to the logic from a timer turn, in
 * arrival order: the socket callback already sits deep in the stack, and the logic's own work
 * (open, dispatch, seal) nearly filled the ESP8266's 288-slot stack on top of it. From a timer it
 * starts near the bottom (bench: `--device`). The one exception is the end of the stream, see
 * onMessage.
 */
import { Listener, Socket } from 'socket';
import type { TcpConnection, TcpConnectionHandler, TcpListener, TcpServerFactory, TimerHandle, Timers } from '../types';
import { fromArrayBuffer, toArrayBuffer } from './bytes';
import { reportFault } from './guard';

const MSG_ERROR = -2;
const MSG_DISCONNECT = -1;
const MSG_DATA = 2;
const MSG_SENT = 3;
/** Longest a closing connection may wait for its reply to leave. */
const FLUSH_LIMIT_MS = 2000;

type TcpSocket = InstanceType<typeof Socket> & {
  write(...data: Array<ArrayBuffer | string | number>): number | void;
  get(name: 'REMOTE_IP'): string | undefined;
};

/** The peer's address for the per-address throttles; '' when the platform cannot tell. */
function peerAddress(socket: TcpSocket): string {
  try {
    const address = socket.get('REMOTE_IP');
    return typeof address === 'string' ? address : '';
  } catch {
    return '';
  }
}

class ModdableConnection implements TcpConnection {
  readonly remoteAddress: string;
  handler: TcpConnectionHandler | null = null;
  private queue: Uint8Array[] = [];
  /** Received chunks not yet handed to the logic; `null` is the end of the stream. */
  private inbox: Array<Uint8Array | null> = [];
  private delivery: TimerHandle | null = null;
  private closing = false;
  private closed = false;
  /** The socket reported its end (queued in the inbox)... */
  private ended = false;
  /** ...and the logic has heard it (at most once). */
  private endTold = false;

  constructor(private readonly socket: TcpSocket, private readonly timers: Timers) {
    this.remoteAddress = peerAddress(socket);
    socket.callback = (message: number, value?: number) => {
      try {
        this.onMessage(message, value ?? 0);
      } catch (error) {
        reportFault('tcp callback', error);
        this.fail();
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
      this.receive(fromArrayBuffer(this.socket.read(ArrayBuffer)));
    } else if (message === MSG_SENT) {
      this.flush();
      if (this.closing && this.queue.length === 0) this.destroy();
    } else if (message === MSG_DISCONNECT || message === MSG_ERROR) {
      this.queue = [];
      if (!this.ended) {
        this.ended = true;
        this.receive(null);
        // The SDK releases the socket when this callback returns, so whatever is pending (a
        // request line the peer half-closed after) is handled now, while a reply can still leave.
        if (this.delivery !== null) this.timers.clearTimeout(this.delivery);
        this.deliver();
      }
      if (this.closing) this.destroy();
    }
  }

  private receive(chunk: Uint8Array | null): void {
    if (!this.handler) return;
    this.inbox.push(chunk);
    this.delivery ??= this.timers.setTimeout(() => this.deliver(), 0);
  }

  private deliver(): void {
    this.delivery = null;
    try {
      while (this.inbox.length > 0 && this.handler) {
        const chunk = this.inbox.shift()!;
        if (chunk) {
          this.handler.data(chunk);
        } else {
          this.endTold = true;
          this.handler.end();
        }
      }
    } catch (error) {
      reportFault('tcp handler', error);
      this.fail();
    }
  }

  /** Writes as much as the send buffer takes; a write that fails means the peer is gone (the seam never throws). */
  private flush(): void {
    try {
      this.writeOut();
    } catch (error) {
      reportFault('tcp write', error);
      this.fail();
    }
  }

  /** The socket or the logic failed: the logic hears `end` once, and the socket goes. */
  private fail(): void {
    this.queue = [];
    const handler = this.handler;
    this.destroy();
    if (this.endTold) return;
    this.endTold = true;
    try {
      handler?.end();
    } catch (error) {
      reportFault('tcp end handler', error);
    }
  }

  private writeOut(): void {
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
    this.inbox = [];
    if (this.delivery !== null) this.timers.clearTimeout(this.delivery);
    this.delivery = null;
    try {
      this.socket.close();
    } catch {
      // already gone
    }
  }
}

class ModdableListener implements TcpListener {
  private readonly listener: InstanceType<typeof Listener> & { close(): void };
  private closed = false;

  constructor(port: number, private readonly timers: Timers, private readonly accept: (connection: TcpConnection) => TcpConnectionHandler) {
    const listener = new Listener({ port }) as ModdableListener['listener'];
    listener.callback = () => {
      try {
        this.accepted(new Socket({ listener }) as TcpSocket);
      } catch (error) {
        reportFault('tcp listener', error);
      }
    };
    this.listener = listener;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener.close();
  }

  private accepted(socket: TcpSocket): void {
    const connection = new ModdableConnection(socket, this.timers);
    try {
      connection.handler = this.accept(connection);
    } catch (error) {
      reportFault('tcp accept', error);
      connection.close();
    }
  }
}

export class ModdableTcp implements TcpServerFactory {
  constructor(private readonly timers: Timers) {}

  listen(port: number, accept: (connection: TcpConnection) => TcpConnectionHandler): TcpListener {
    return new ModdableListener(port, this.timers, accept);
  }
}
