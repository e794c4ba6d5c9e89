/**
 * Test scaffolding, not a model of our firmware: a tiny port-99-style responder on 127.0.0.1
 * that opens each line with shared/, answers from a fixed table and records what it was asked.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  CommandError, ProtocolError, deriveKey, openPacketText, parseCommand, sealPacket, type Envelope, type JsonObject,
} from '../../../shared/index';
import { nodeCrypto } from '../../../node/crypto';

export interface Responder {
  port: number;
  /** Inner commands received, in order. */
  received: JsonObject[];
  close(): Promise<void>;
}

export interface ResponderOptions {
  token: string;
  deviceId?: string;
  /** Never answer (for timeout tests). */
  silent?: boolean;
  /** Token rotated in by update_token. */
  nextToken?: string;
  /** Overrides the reply for one command name. */
  replies?: Record<string, JsonObject>;
}

function answer(command: string, args: JsonObject, options: ResponderOptions): JsonObject {
  const fixed = options.replies?.[command];
  if (fixed) return fixed;
  switch (command) {
    case 'ping': return { status: 'success', result: 'pong' };
    case 'wake': return { status: 'success', result: 'wol_sent', mac: String(args.mac) };
    case 'info': return {
      status: 'success', device_id: options.deviceId ?? 'WL7E57', ip: '127.0.0.1', ssid: 'lab', rssi: -50, request_counter: 3,
      crypto_enabled: true, mode: 'STA', web_enabled: true, cloud_enabled: false, cloud_status: 'disabled', free_heap: 20000,
    };
    case 'web_control': return args.action === 'status' ? { status: 'success', web_enabled: true, mode: 'STA' } : { status: 'success', result: `web_${String(args.action)}d` };
    case 'update_token': return { status: 'success', result: 'token_updated', new_token: options.nextToken ?? '', message: 'Token updated. Device will restart in 1ms.' };
    case 'counter_info': return { status: 'success', request_counter: 3, request_limit: 1000 };
    case 'reset_counter': return { status: 'success', result: 'counter_reset' };
    default: return { status: 'success', result: 'ok' };
  }
}

/** Opens one request packet with shared/ and seals the table's answer (also used by the WS device helper). */
export function replyPacket(line: string, options: ResponderOptions, received: JsonObject[]): Envelope {
  const key = deriveKey(options.token, nodeCrypto);
  let inner: JsonObject;
  try {
    const opened = openPacketText({ key, packet: line, crypto: nodeCrypto });
    received.push(opened.inner);
    const command = parseCommand(opened.inner);
    inner = { ...answer(command.name, { ...(opened.inner.data as JsonObject) }, options), request_id: command.requestId };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const requestId = error instanceof CommandError ? error.requestId : null;
    inner = { status: 'error', error: error.code, request_id: requestId ?? null };
  }
  return sealPacket({ key, deviceId: options.deviceId ?? 'WL7E57', inner, nonce: nodeCrypto.randomBytes(16), requestCounter: received.length, crypto: nodeCrypto });
}

export async function startResponder(options: ResponderOptions): Promise<Responder> {
  const received: JsonObject[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0 || options.silent) return;
      socket.end(`${JSON.stringify(replyPacket(buffered.slice(0, newline), options, received))}\n`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
