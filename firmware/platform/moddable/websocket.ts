/**
 * WebSocket client on Moddable `websocket`, with `securesocket` for wss, over a GuardedSocket so
 * that nothing the SDK client throws inside a socket callback can abort the machine. The Moddable
 * client answers server pings itself but cannot send pings or report pongs, so `ping()` returns
 * false and a dead link is detected by TCP keep-alive (v1.0's heartbeat timings: 25 s, 10 s, 3).
 * Messages and the close reach the logic from a timer turn, in order, not from inside the
 * client's callback chain (socket → TLS → WebSocket), which is deep: see tcp.ts.
 */
import SecureSocket from 'securesocket';
import { Client, type WebSocketClientOptions as SdkClientOptions } from 'websocket';
import type { TimerHandle, Timers, WebSocketClient, WebSocketClientOptions, WebSocketFactory, WebSocketHandlers } from '../types';
import { reportFault } from './guard';
import { GuardedSocket, type GuardedSocketOptions } from './guarded-socket';
import { parseNormalisedUrl } from './url-parts';

const MSG_HANDSHAKE = 2;
const MSG_RECEIVE = 3;
const MSG_DISCONNECT = 4;
const TLS_1_2 = 0x303;
const KEEPALIVE = Object.freeze({ idle: 25000, interval: 10000, count: 3 });

/** What the SDK client passes on to its socket class: ours, plus the TLS settings for wss. */
type ClientOptions = SdkClientOptions & GuardedSocketOptions & {
  host: string;
  port: number;
  path: string;
  Socket: typeof GuardedSocket;
  secure?: { verify: boolean; protocolVersion: number };
};

/** One link: the SDK client, what it received not yet handed on, and the end, told once. */
class ModdableLink implements WebSocketClient {
  private client: Client | null = null;
  private open = false;
  private finished = false;
  /** The logic closed the link: nothing more reaches it. */
  private dropped = false;
  /** Received text frames not yet handed on; `null` is the close. */
  private readonly inbox: Array<string | null> = [];
  private delivery: TimerHandle | null = null;

  constructor(private readonly timers: Timers, options: WebSocketClientOptions, private readonly handlers: WebSocketHandlers) {
    const target = parseNormalisedUrl(options.url);
    const headers: string[] = [];
    for (const [name, value] of options.headers) headers.push(name, value);
    const dictionary: ClientOptions = {
      host: target.host,
      port: target.port,
      path: target.path,
      headers,
      keepalive: KEEPALIVE,
      Socket: GuardedSocket,
      fault: () => this.finish(),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(target.secure ? { inner: SecureSocket as unknown as GuardedSocketOptions['inner'], secure: { verify: options.verifyTls, protocolVersion: TLS_1_2 } } : {}),
    };
    try {
      this.client = new Client(dictionary);
    } catch (error) {
      reportFault('websocket connect', error);
      this.finish();
      return;
    }
    this.client.callback = (message: number, value?: unknown) => {
      try {
        this.onMessage(message, value);
      } catch (error) {
        reportFault('websocket callback', error);
        this.finish();
      }
    };
  }

  send(text: string): void {
    if (!this.open || this.finished || !this.client) return;
    try {
      this.client.write(text);
    } catch (error) {
      // Send buffer full or socket gone: a lost link.
      reportFault('websocket send', error);
      this.finish();
    }
  }

  ping(): boolean {
    return false;
  }

  close(): void {
    this.dropped = true;
    if (this.delivery !== null) this.timers.clearTimeout(this.delivery);
    this.delivery = null;
    if (this.finished) return;
    this.finished = true;
    this.open = false;
    this.closeClient();
  }

  private onMessage(message: number, value: unknown): void {
    if (this.finished) return;
    if (message === MSG_HANDSHAKE) {
      this.open = true;
      this.handlers.open();
    } else if (message === MSG_RECEIVE) {
      if (typeof value === 'string') this.later(value);
    } else if (message === MSG_DISCONNECT) {
      this.finish();
    }
  }

  /** The link is over: the logic hears `close` once, after the messages that came before it. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.open = false;
    this.closeClient();
    this.later(null);
  }

  private closeClient(): void {
    const closing = this.client;
    this.client = null;
    try {
      closing?.close();
    } catch (error) {
      reportFault('websocket close', error);
    }
  }

  private later(item: string | null): void {
    this.inbox.push(item);
    this.delivery ??= this.timers.setTimeout(() => this.deliver(), 0);
  }

  private deliver(): void {
    this.delivery = null;
    while (this.inbox.length > 0 && !this.dropped) {
      const text = this.inbox.shift()!;
      if (text === null) this.handlers.close();
      else this.handlers.message(text);
    }
  }
}

export class ModdableWebSocket implements WebSocketFactory {
  constructor(private readonly timers: Timers) {}

  connect(options: WebSocketClientOptions, handlers: WebSocketHandlers): WebSocketClient {
    return new ModdableLink(this.timers, options, handlers);
  }
}
