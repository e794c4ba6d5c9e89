/** A v1.0 client built on shared/: seals commands, opens replies, talks LAN, HTTP and client WS. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { nodeCrypto } from '../../../node/crypto';
import { buildCommand, deriveKey, openPacketText, sealPacket, type Envelope, type JsonObject } from '../../../shared/index';

export interface SealedCommand {
  line: string;
  envelope: Envelope;
  requestId: string;
}

export class V1Client {
  readonly key: Uint8Array;
  constructor(readonly deviceId: string, token: string) {
    this.key = deriveKey(token, nodeCrypto);
  }

  seal(command: string, data: JsonObject = {}): SealedCommand {
    const requestId = randomBytes(4).toString('hex');
    return this.sealInner(buildCommand(command, data, requestId, Math.floor(Date.now() / 1000)), requestId);
  }

  /** Seals an inner JSON exactly as given (e.g. without a timestamp, as no deployed v1.0 client sends). */
  sealInner(inner: JsonObject, requestId: string): SealedCommand {
    const envelope = sealPacket({ key: this.key, deviceId: this.deviceId, inner, nonce: new Uint8Array(randomBytes(16)), crypto: nodeCrypto });
    return { line: JSON.stringify(envelope), envelope, requestId };
  }

  /** Opens a device reply; throws (INVALID_SIGNATURE…) if it was not sealed with this client's token. */
  open(text: string | Envelope): JsonObject {
    return openPacketText({ key: this.key, packet: text, crypto: nodeCrypto }).inner;
  }
}

export interface LanExchange {
  /** Everything the device sent before closing. */
  text: string;
  /** The device closed the connection (FIN or reset). */
  closed: boolean;
}

export interface LanSendOptions {
  /** Half-close (FIN) after writing. */
  end?: boolean;
  /** Give up after this long (the test fails on `closed: false`). */
  timeoutMs?: number;
}

/** Writes `data` to the device's LAN port and collects the reply until the device closes. */
export function lanSend(port: number, data: string | Buffer, options: LanSendOptions = {}): Promise<LanExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), closed });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      socket.write(data);
      if (options.end) socket.end();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}

/** One LAN request: the line plus `\n`, the reply line opened with the client's key. */
export async function lanCommand(port: number, client: V1Client, command: string, data: JsonObject = {}): Promise<{ sent: SealedCommand; reply: JsonObject; raw: string }> {
  const sent = client.seal(command, data);
  const exchange = await lanSend(port, sent.line + '\n');
  if (!exchange.text.endsWith('\n')) throw new Error(`no reply line from the device (got ${JSON.stringify(exchange.text.slice(0, 80))})`);
  return { sent, reply: client.open(exchange.text.trim()), raw: exchange.text.trim() };
}

/** HTTP path of spec 4.5: push, then long-poll pulls until the reply with our request id arrives. */
export async function httpCommand(relayHttp: string, apiToken: string, client: V1Client, command: string, data: JsonObject = {}, deadlineMs = 15_000): Promise<JsonObject> {
  const sent = client.seal(command, data);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` };
  const push = await fetch(`${relayHttp}/api/push`, { method: 'POST', headers, body: JSON.stringify({ ...sent.envelope, direction: 'to_device' }) });
  if (push.status !== 200) throw new Error(`push failed: ${push.status} ${await push.text()}`);
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const pull = await fetch(`${relayHttp}/api/pull`, { method: 'POST', headers, body: JSON.stringify({ device_id: client.deviceId, wait: 5 }) });
    if (pull.status !== 200) throw new Error(`pull failed: ${pull.status} ${await pull.text()}`);
    const body = (await pull.json()) as { messages: Array<{ payload: string; signature: string; device_id: string }> };
    for (const message of body.messages) {
      const inner = client.open({ device_id: message.device_id, payload: message.payload, signature: message.signature, version: '1.0' });
      if (inner.request_id === sent.requestId) return inner;
    }
  }
  throw new Error(`no HTTP reply to ${command} within ${deadlineMs} ms`);
}

/** A v1.0 client WebSocket (`/ws/client/{id}`), authenticated with the auth frame. */
export class ClientSocket {
  private readonly frames: string[] = [];
  private readonly waiters: Array<() => void> = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      this.frames.push(data.toString());
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(relayWs: string, apiToken: string, clientId: string): Promise<ClientSocket> {
    const socket = new WebSocket(`${relayWs}/ws/client/${clientId}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const client = new ClientSocket(socket);
    socket.send(JSON.stringify({ type: 'auth', token: apiToken }));
    await client.next((frame) => frame.type === 'welcome', 5000);
    return client;
  }

  /** Waits for the first frame (consumed in order) that `match` accepts. */
  async next(match: (frame: JsonObject) => boolean, timeoutMs: number): Promise<JsonObject> {
    const deadline = Date.now() + timeoutMs;
    let scanned = 0;
    for (;;) {
      for (; scanned < this.frames.length; scanned++) {
        const frame = JSON.parse(this.frames[scanned]!) as JsonObject;
        if (match(frame)) {
          this.frames.splice(scanned, 1);
          return frame;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; saw ${this.frames.join(' | ').slice(0, 400)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a command and returns the decrypted reply carrying its request id (ACKs and foreign packets skipped). */
  async command(client: V1Client, command: string, data: JsonObject = {}, timeoutMs = 10_000): Promise<{ reply: JsonObject; ack: JsonObject }> {
    const sent = client.seal(command, data);
    this.socket.send(sent.line);
    const ack = await this.next((frame) => frame.status === 'success' && 'delivered' in frame, timeoutMs);
    let reply: JsonObject | undefined;
    await this.next((frame) => {
      if (typeof frame.payload !== 'string') return false;
      try {
        const inner = client.open(frame as unknown as Envelope);
        if (inner.request_id !== sent.requestId) return false;
        reply = inner;
        return true;
      } catch {
        return false;
      }
    }, timeoutMs);
    return { reply: reply!, ack };
  }

  /** The frames received and not yet consumed by `next` (taken: a later call sees only newer ones). */
  takePending(): JsonObject[] {
    return this.frames.splice(0).map((text) => JSON.parse(text) as JsonObject);
  }

  send(text: string): void {
    this.socket.send(text);
  }

  close(): void {
    this.socket.close();
  }
}
