import WebSocket from 'ws';
import type { WebSocketClient, WebSocketFactory, WebSocketHandlers } from '../../firmware/platform/types';
import { isLoopbackHost } from '../loopback';
import { guarded, type BootResources } from './resources';

/** Largest frame the simulated board accepts; the relay sends devices 1 KiB at most (F17). */
export const WS_MAX_FRAME_BYTES = 8 * 1024;
export const WS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface NodeWebSocketOptions {
  resources: BootResources;
  onError: (error: unknown) => void;
  log: (message: string) => void;
}

export function createNodeWebSocket(options: NodeWebSocketOptions): WebSocketFactory {
  return {
    connect(config, handlers: WebSocketHandlers): WebSocketClient {
      let closedByLogic = false;
      let closeFired = false;
      const fireClose = (): void => {
        if (closedByLogic || closeFired) return;
        closeFired = true;
        guarded(options.onError, () => handlers.close());
      };
      let url: URL | undefined;
      try {
        url = new URL(config.url);
      } catch {
        url = undefined;
      }
      if (url === undefined || !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''))) {
        options.log(`cloud: refused to connect to a non-loopback relay (${url?.hostname ?? 'unparsable URL'})`);
        setImmediate(fireClose);
        return { send() {}, ping: () => false, close() { closedByLogic = true; } };
      }
      const socket = new WebSocket(config.url, config.protocol === undefined ? [] : [config.protocol], {
        headers: Object.fromEntries(config.headers),
        rejectUnauthorized: config.verifyTls,
        maxPayload: WS_MAX_FRAME_BYTES,
        handshakeTimeout: WS_HANDSHAKE_TIMEOUT_MS,
        perMessageDeflate: false,
      });
      const untrack = options.resources.track(() => {
        closedByLogic = true;
        socket.terminate();
      });
      socket.on('open', () => {
        if (!closedByLogic) guarded(options.onError, () => handlers.open());
      });
      socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (closedByLogic || closeFired || isBinary) return;
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
        guarded(options.onError, () => handlers.message(text));
      });
      socket.on('pong', () => {
        if (!closedByLogic && !closeFired) guarded(options.onError, () => handlers.pong());
      });
      socket.on('error', () => fireClose());
      socket.on('close', () => {
        untrack();
        fireClose();
      });
      return {
        send(text) {
          if (!closedByLogic && socket.readyState === WebSocket.OPEN) socket.send(text);
        },
        ping() {
          // Node can always ping; a ping while not open is dropped like a send.
          if (!closedByLogic && socket.readyState === WebSocket.OPEN) socket.ping();
          return true;
        },
        close() {
          if (closedByLogic) return;
          closedByLogic = true;
          untrack();
          if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
          else socket.close(1000);
        },
      };
    },
  };
}
