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
import type { TimerHandle, Timers, WebSocketClient, WebSocketFactory } from '../types';
import { guard, reportFault } from './guard';
import { GuardedSocket, type GuardedSocketOptions } from './guarded-socket';
import { parseNormalisedUrl } from './url-parts';

const MSG_HANDSHAKE = 2;
const MSG_RECEIVE = 3;
const MSG_DISCONNECT = 4;
const TLS_1_2 = 0x303;
const KEEPALIVE = { idle: 25000, interval: 10000, count: 3 };

/** What the SDK client passes on to its socket class: ours, plus the TLS settings for wss. */
type ClientOptions = SdkClientOptions & GuardedSocketOptions & {
  host: string;
  port: number;
  path: string;
  Socket: typeof GuardedSocket;
  secure?: { verify: boolean; protocolVersion: number };
};

export function createModdableWebSocket(timers: Timers): WebSocketFactory {
  return {
    connect(options, handlers): WebSocketClient {
      let open = false;
      let finished = false;
      /** The logic closed the link: nothing more reaches it. */
      let dropped = false;
      let client: Client | null = null;
      /** Received text frames not yet handed on; `null` is the close. */
      const inbox: Array<string | null> = [];
      let delivery: TimerHandle | null = null;
      const deliver = (): void => {
        delivery = null;
        while (inbox.length > 0 && !dropped) {
          const text = inbox.shift()!;
          if (text === null) handlers.close();
          else handlers.message(text);
        }
      };
      const later = (item: string | null): void => {
        inbox.push(item);
        delivery ??= timers.setTimeout(deliver, 0);
      };
      /** The link is over: the logic hears `close` once, after the messages that came before it. */
      const finish = (): void => {
        if (finished) return;
        finished = true;
        open = false;
        const closing = client;
        client = null;
        try {
          closing?.close();
        } catch (error) {
          reportFault('websocket close', error);
        }
        later(null);
      };
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
        fault: finish,
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(target.secure ? { inner: SecureSocket as unknown as GuardedSocketOptions['inner'], secure: { verify: options.verifyTls, protocolVersion: TLS_1_2 } } : {}),
      };
      try {
        client = new Client(dictionary);
      } catch (error) {
        reportFault('websocket connect', error);
        finish();
        return { send() {}, ping: () => false, close() { finished = true; } };
      }
      client.callback = guard('websocket callback', (message: number, value?: unknown) => {
        if (finished) return;
        if (message === MSG_HANDSHAKE) {
          open = true;
          handlers.open();
        } else if (message === MSG_RECEIVE) {
          if (typeof value === 'string') later(value);
        } else if (message === MSG_DISCONNECT) {
          finish();
        }
      }, finish);
      return {
        send(text) {
          if (!open || finished || !client) return;
          try {
            client.write(text);
          } catch (error) {
            // Send buffer full or socket gone: a lost link.
            reportFault('websocket send', error);
            finish();
          }
        },
        ping: () => false,
        close() {
          dropped = true;
          if (delivery !== null) timers.clearTimeout(delivery);
          delivery = null;
          if (finished) return;
          finished = true;
          open = false;
          const closing = client;
          client = null;
          try {
            closing?.close();
          } catch (error) {
            reportFault('websocket close', error);
          }
        },
      };
    },
  };
}
