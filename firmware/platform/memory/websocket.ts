/** WebSocket seam in RAM: tests play the relay through the recorded connections. */
import type { WebSocketClient, WebSocketClientOptions, WebSocketFactory, WebSocketHandlers } from '../types';

export class MemoryRelayConnection {
  readonly sent: string[] = [];
  pings = 0;
  /** True once the device closed it. */
  closedByDevice = false;
  isOpen = false;

  constructor(
    readonly options: WebSocketClientOptions,
    private readonly handlers: WebSocketHandlers,
  ) {}

  open(): void {
    this.isOpen = true;
    this.handlers.open();
  }

  message(text: string): void {
    if (this.isOpen && !this.closedByDevice) this.handlers.message(text);
  }

  pong(): void {
    if (this.isOpen && !this.closedByDevice) this.handlers.pong();
  }

  /** The relay (or the network) drops the connection. */
  drop(): void {
    if (this.closedByDevice) return;
    this.isOpen = false;
    this.handlers.close();
  }
}

export class MemoryWebSocket implements WebSocketFactory {
  readonly connections: MemoryRelayConnection[] = [];
  /** Whether clients can send pings (the Moddable client cannot). */
  supportsPing = true;

  get last(): MemoryRelayConnection | undefined {
    return this.connections[this.connections.length - 1];
  }

  connect(options: WebSocketClientOptions, handlers: WebSocketHandlers): WebSocketClient {
    const relay = new MemoryRelayConnection(options, handlers);
    this.connections.push(relay);
    return {
      send: (text) => {
        if (relay.isOpen && !relay.closedByDevice) relay.sent.push(text);
      },
      ping: () => {
        if (!this.supportsPing) return false;
        relay.pings++;
        return true;
      },
      close: () => {
        relay.closedByDevice = true;
        relay.isOpen = false;
      },
    };
  }
}
