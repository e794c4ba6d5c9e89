/**
 * WebSocket client on Moddable `websocket`, with `securesocket` for wss. The Moddable client
 * answers server pings itself but cannot send pings or report pongs, so `ping()` returns false and
 * a dead link is detected by TCP keep-alive (same timings as v1.0's heartbeat: 25 s, 10 s, 3 probes).
 */
import SecureSocket from 'securesocket';
import { Client, type SecureWebSocketClientOptions, type WebSocketClientOptions as MClientOptions } from 'websocket';
import type { Timers, WebSocketClient, WebSocketFactory } from '../types';
import { parseNormalisedUrl } from './url-parts';

const MSG_HANDSHAKE = 2;
const MSG_RECEIVE = 3;
const MSG_DISCONNECT = 4;
const TLS_1_2 = 0x303;
const KEEPALIVE = { idle: 25000, interval: 10000, count: 3 };

export function createModdableWebSocket(timers: Timers): WebSocketFactory {
  return {
    connect(options, handlers): WebSocketClient {
      const target = parseNormalisedUrl(options.url);
      const headers: string[] = [];
      for (const [name, value] of options.headers) headers.push(name, value);
      const dictionary: SecureWebSocketClientOptions = {
        host: target.host,
        port: target.port,
        path: target.path,
        headers,
        keepalive: KEEPALIVE,
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(target.secure ? { Socket: SecureSocket, secure: { verify: options.verifyTls, protocolVersion: TLS_1_2 } } : {}),
      };
      let open = false;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        open = false;
        handlers.close();
      };
      let client: Client;
      try {
        client = new Client(dictionary as MClientOptions);
      } catch {
        // Report asynchronously, as the seam promises.
        timers.setTimeout(finish, 0);
        return { send() {}, ping: () => false, close() { finished = true; } };
      }
      client.callback = (message: number, value?: unknown) => {
        if (finished) return;
        if (message === MSG_HANDSHAKE) {
          open = true;
          handlers.open();
        } else if (message === MSG_RECEIVE) {
          if (typeof value === 'string') handlers.message(value);
        } else if (message === MSG_DISCONNECT) {
          finish();
        }
      };
      return {
        send(text) {
          if (!open || finished) return;
          try {
            client.write(text);
          } catch {
            // Send buffer full or socket gone: treat as a lost link.
            client.close();
            timers.setTimeout(finish, 0);
          }
        },
        ping: () => false,
        close() {
          finished = true;
          open = false;
          client.close();
        },
      };
    },
  };
}
