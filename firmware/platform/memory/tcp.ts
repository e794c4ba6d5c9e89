/** TCP seam in RAM: tests play the peer through `connect`. */
import { utf8Decode, utf8Encode } from '../../../shared/index';
import type { TcpConnection, TcpConnectionHandler, TcpListener, TcpServerFactory } from '../types';

export class MemoryPeer {
  private readonly received: Uint8Array[] = [];
  /** True once the device closed its side. */
  closed = false;
  handler: TcpConnectionHandler | null = null;

  /** Everything the device wrote, as text. */
  get text(): string {
    let length = 0;
    for (const chunk of this.received) length += chunk.length;
    const all = new Uint8Array(length);
    let offset = 0;
    for (const chunk of this.received) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return utf8Decode(all);
  }

  send(data: string | Uint8Array): void {
    if (!this.closed) this.handler?.data(typeof data === 'string' ? utf8Encode(data) : data);
  }

  /** Half-close (FIN) from the peer. */
  end(): void {
    if (!this.closed) this.handler?.end();
  }

  /** @internal */
  deliver(data: Uint8Array): void {
    if (!this.closed) this.received.push(data.slice());
  }
}

export class MemoryTcp implements TcpServerFactory {
  private readonly listeners = new Map<number, (connection: TcpConnection) => TcpConnectionHandler>();

  listen(port: number, accept: (connection: TcpConnection) => TcpConnectionHandler): TcpListener {
    if (this.listeners.has(port)) throw new Error(`port ${port} already in use`);
    this.listeners.set(port, accept);
    return { close: () => this.listeners.delete(port) };
  }

  isListening(port: number): boolean {
    return this.listeners.has(port);
  }

  /** Opens a connection to `port`; throws like ECONNREFUSED when nothing listens. */
  connect(port: number, remoteAddress = '127.0.0.1'): MemoryPeer {
    const accept = this.listeners.get(port);
    if (!accept) throw new Error(`connection refused on port ${port}`);
    const peer = new MemoryPeer();
    const connection: TcpConnection = {
      remoteAddress,
      write: (data) => peer.deliver(typeof data === 'string' ? utf8Encode(data) : data),
      close: () => {
        peer.closed = true;
      },
    };
    peer.handler = accept(connection);
    return peer;
  }
}
