/**
 * The orderings a v1.0 relay may produce but ours rarely does (spec 4.3/4.4): reply before ACK,
 * foreign packets and status frames first, several messages per pull. A tiny in-test relay stand-in
 * speaks those frames; the CLI transports run in-process against it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { deriveKey, sealPacket, type JsonObject } from '../../shared/index';
import { nodeCrypto } from '../../node/crypto';
import { CliError } from '../../cli/errors';
import { keyFromToken, sealRequest } from '../../cli/exchange';
import { createProgress } from '../../cli/progress';
import { exchangeHttp } from '../../cli/transport/http';
import { exchangeWss } from '../../cli/transport/wss';
import { replyPacket } from './helpers/line-responder';

const TOKEN = 'OrderingTestToken-0123456789abcdefghijklmnop';
const DEVICE_ID = 'WLDE21';
const quiet = { start: () => undefined, stop: () => undefined };

function request(command: 'ping' | 'info' = 'ping') {
  return sealRequest(DEVICE_ID, keyFromToken('dev', TOKEN), command, {});
}

/** A packet from the same device answering somebody else's request. */
function foreignPacket(): JsonObject {
  const inner = { status: 'success', result: 'pong', request_id: 'deadbeef' };
  return { ...sealPacket({ key: deriveKey(TOKEN, nodeCrypto), deviceId: DEVICE_ID, inner, nonce: nodeCrypto.randomBytes(16), crypto: nodeCrypto }) };
}

const ACK = { status: 'success', device_id: DEVICE_ID, delivered: true, queued: false, message: 'Delivered to device' };

type Script = (socket: WebSocket, packetText: string) => void;

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});

async function wsRelay(script: Script, onAuth?: (socket: WebSocket) => boolean): Promise<string> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    expect(req.url).toMatch(new RegExp(`^/ws/client/cli_${DEVICE_ID}_[0-9a-f]{8}$`));
    let authed = false;
    socket.on('message', (data) => {
      const text = data.toString();
      const frame = JSON.parse(text) as JsonObject;
      if (!authed) {
        expect(frame).toEqual({ type: 'auth', token: 'sk-test' });
        if (onAuth && !onAuth(socket)) return;
        authed = true;
        socket.send(JSON.stringify({ type: 'welcome', status: 'connected', client_id: 'x', protocol_version: '1.0' }));
        return;
      }
      script(socket, text);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.close();
  });
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const reply = (text: string) => JSON.stringify(replyPacket(text, { token: TOKEN, deviceId: DEVICE_ID }, []));

describe('WSS client transport: ordering and foreign frames', () => {
  it('accepts the reply before the ACK', async () => {
    const base = await wsRelay((socket, text) => {
      socket.send(reply(text));
      socket.send(JSON.stringify(ACK));
    });
    const out = await exchangeWss(base, 'sk-test', { deviceName: 'dev', request: request(), timeoutMs: 3000, progress: quiet });
    expect(out.inner).toMatchObject({ status: 'success', result: 'pong' });
  });

  it('skips status frames and a foreign packet, then takes the matching reply after the ACK', async () => {
    const sent = request('info');
    const base = await wsRelay((socket, text) => {
      socket.send(JSON.stringify({ type: 'ping' }));
      socket.send(JSON.stringify(foreignPacket()));
      socket.send(JSON.stringify(ACK));
      socket.send('not json at all');
      setTimeout(() => socket.send(reply(text)), 50);
    });
    const out = await exchangeWss(base, 'sk-test', { deviceName: 'dev', request: sent, timeoutMs: 3000, progress: quiet });
    expect(out.inner).toMatchObject({ status: 'success', device_id: DEVICE_ID, request_id: sent.requestId });
  });

  it('a queued ACK ends the exchange as QUEUED; an auth error frame + 1008 as RELAY_AUTH', async () => {
    const queuedBase = await wsRelay((socket) => socket.send(JSON.stringify({ ...ACK, delivered: false, queued: true, message: 'Device offline, queued' })));
    await expect(exchangeWss(queuedBase, 'sk-test', { deviceName: 'dev', request: request(), timeoutMs: 3000, progress: quiet }))
      .rejects.toMatchObject({ code: 'QUEUED', exitCode: 7 });
    const deniedBase = await wsRelay(() => undefined, (socket) => {
      socket.send(JSON.stringify({ status: 'error', error: 'INVALID_TOKEN', message: 'Invalid API token' }));
      socket.close(1008);
      return false;
    });
    const denied = exchangeWss(deniedBase, 'sk-test', { deviceName: 'dev', request: request(), timeoutMs: 3000, progress: quiet });
    await expect(denied).rejects.toBeInstanceOf(CliError);
    await expect(denied).rejects.toMatchObject({ code: 'RELAY_AUTH', exitCode: 5 });
  });
});

describe('HTTP client transport: long poll with foreign messages', () => {
  it('keeps pulling past foreign and malformed messages until its own reply arrives', async () => {
    let pushed = '';
    let pulls = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        expect(req.headers.authorization).toBe('Bearer sk-test');
        const json = JSON.parse(body) as JsonObject;
        res.setHeader('content-type', 'application/json');
        if (req.url === '/api/push') {
          pushed = JSON.stringify({ device_id: json.device_id, payload: json.payload, signature: json.signature, version: json.version });
          expect(json.direction).toBe('to_device');
          return res.end(JSON.stringify({ status: 'ok', device_id: DEVICE_ID, delivered_via_ws: true, messages: null, count: 0 }));
        }
        expect(req.url).toBe('/api/pull');
        expect(json).toMatchObject({ device_id: DEVICE_ID, direction: 'to_client' });
        expect(json.wait).toBeGreaterThan(0);
        expect(json.wait).toBeLessThanOrEqual(30);
        pulls++;
        const asMessage = (packet: JsonObject) => ({ device_id: DEVICE_ID, message_type: 'response', packet: packet.payload, payload: packet.payload, signature: packet.signature, direction: 'to_client' });
        const messages = pulls === 1 ? [asMessage(foreignPacket()), { junk: true }] : [asMessage(JSON.parse(reply(pushed)))];
        res.end(JSON.stringify({ status: 'ok', device_id: DEVICE_ID, delivered_via_ws: false, messages, count: messages.length }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => void server.close());
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const sent = request();
    const out = await exchangeHttp(base, 'sk-test', { deviceName: 'dev', request: sent, timeoutMs: 5000, progress: quiet });
    expect(out.inner).toMatchObject({ result: 'pong', request_id: sent.requestId });
    expect(pulls).toBe(2);
  });
});

describe('waiting indicator', () => {
  it('draws only on a TTY and clears its line when stopped', async () => {
    let piped = '';
    const off = createProgress({ write: (t: string) => (piped += t), isTTY: false }, true);
    off.start('waiting');
    await new Promise((r) => setTimeout(r, 300));
    off.stop();
    expect(piped).toBe('');
    let tty = '';
    const on = createProgress({ write: (t: string) => (tty += t), isTTY: true }, true);
    on.start('waiting for dev');
    await new Promise((r) => setTimeout(r, 300));
    on.stop();
    expect(tty).toContain('waiting for dev (0s)');
    expect(tty.endsWith('\r\x1b[K')).toBe(true);
    let json = '';
    const disabled = createProgress({ write: (t: string) => (json += t), isTTY: true }, false);
    disabled.start('x');
    disabled.stop();
    expect(json).toBe('');
  });
});
