/**
 * The page's line to its boards: one EventSource on /dashboard/live (presence, the boards' sealed
 * events, and the relay's answers to our commands) and POST /dashboard/command to send. Commands
 * are sealed here with the device key (shared/, the same code as the firmware and CLI), so the
 * relay only ever routes ciphertext; replies are opened here.
 */
import {
  buildCommand, createReferenceCrypto, deriveKey, openPacketText, sealPacket, toHex, type CryptoBackend, type Envelope, type JsonObject,
} from '../../../shared/index';

const STREAM_PATH = '/dashboard/live';
const COMMAND_PATH = '/dashboard/command';
/** A board answers within the relay's in-flight window; `status` waits for its probes (a few seconds). */
const REPLY_TIMEOUT_MS = 20_000;
/** How long a command waits for the stream to be (re)connected before it gives up. */
const STREAM_WAIT_MS = 8_000;

export const browserCrypto: CryptoBackend = createReferenceCrypto((length) => crypto.getRandomValues(new Uint8Array(length)));

export type Frame = Record<string, unknown> & { type?: string };

/** The key a device token derives (throws on a token shorter than v1.0's minimum). */
export function keyFromToken(token: string): Uint8Array {
  return deriveKey(token, browserCrypto);
}

/** Opens a board's sealed packet (an event's content, a reply); null when this key did not seal it. */
export function openSealed(key: Uint8Array, packet: unknown): JsonObject | null {
  if (!packet || typeof packet !== 'object') return null;
  try {
    return openPacketText({ key, packet: packet as Envelope, crypto: browserCrypto }).inner;
  } catch {
    return null;
  }
}

interface Pending {
  key: Uint8Array;
  requestId: string;
  resolve(reply: JsonObject): void;
  reject(error: Error): void;
  timer: number;
}

export class LiveChannel {
  private source: EventSource | null = null;
  /** This stream's endpoint id (the `self` of the relay's `subscribed` answer); null while disconnected. */
  private self: string | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners: Array<(frame: Frame) => void> = [];
  private readonly stateListeners: Array<(live: boolean) => void> = [];
  private nextId = 1;

  constructor(private readonly csrf: string) {}

  start(): void {
    const source = new EventSource(STREAM_PATH);
    this.source = source;
    source.onerror = () => {
      // Answers to commands sent from the old stream would go to it: those commands are told now, not after a timeout.
      for (const id of [...this.pending.keys()]) this.fail(id, new Error('the live connection to the relay dropped; try again'));
      this.self = null;
      for (const listener of this.stateListeners) listener(false);
    };
    source.onmessage = (message: MessageEvent<string>) => {
      let frame: Frame;
      try {
        frame = JSON.parse(message.data) as Frame;
      } catch {
        return;
      }
      if (frame.type === 'subscribed' && typeof frame.self === 'string') {
        this.self = frame.self;
        for (const listener of this.stateListeners) listener(true);
      }
      if (this.settle(frame)) return;
      for (const listener of this.listeners) listener(frame);
    };
  }

  onFrame(listener: (frame: Frame) => void): void {
    this.listeners.push(listener);
  }

  onState(listener: (live: boolean) => void): void {
    this.stateListeners.push(listener);
  }

  /** Seals `command` for the board, sends it, and resolves with the board's opened reply. */
  async command(deviceId: string, key: Uint8Array, command: string, data: JsonObject = {}): Promise<JsonObject> {
    const stream = await this.stream();
    const requestId = toHex(browserCrypto.randomBytes(4));
    const inner = buildCommand(command, data, requestId, Math.floor(Date.now() / 1000));
    const packet = sealPacket({ key, deviceId, inner, nonce: browserCrypto.randomBytes(16), crypto: browserCrypto });
    const id = `dash${this.nextId++}`;
    const reply = new Promise<JsonObject>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply from the board within ${REPLY_TIMEOUT_MS / 1000} s`));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { key, requestId, resolve, reject, timer });
    });
    let response: Response;
    try {
      response = await fetch(COMMAND_PATH, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'content-type': 'application/json', 'x-csrf-token': this.csrf },
        body: JSON.stringify({ stream, frame: { type: 'command', id, to: deviceId, packet } }),
      });
    } catch {
      this.fail(id, new Error('the relay could not be reached'));
      return reply;
    }
    if (response.status !== 202) {
      let detail = `HTTP ${response.status}`;
      try {
        const body = (await response.json()) as { detail?: unknown };
        if (typeof body.detail === 'string') detail = body.detail;
      } catch {
        // not JSON: the status says enough
      }
      this.fail(id, new Error(detail));
    }
    return reply;
  }

  /** The stream's endpoint id, waiting a bounded time for a reconnect. */
  private async stream(): Promise<string> {
    const deadline = Date.now() + STREAM_WAIT_MS;
    while (this.self === null) {
      if (!this.source || Date.now() > deadline) throw new Error('the live connection to the relay is not open; try again in a moment');
      await new Promise((resolve) => window.setTimeout(resolve, 100));
    }
    return this.self;
  }

  private fail(id: string, error: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    window.clearTimeout(entry.timer);
    entry.reject(error);
  }

  /** Answers addressed to one of our commands: the relay's ack (ignored), the board's reply, an error. */
  private settle(frame: Frame): boolean {
    const id = typeof frame.id === 'string' ? frame.id : null;
    const entry = id === null ? undefined : this.pending.get(id);
    if (!entry || id === null) return false;
    if (frame.type === 'ack') return true;
    if (frame.type === 'error') {
      const offline = frame.error === 'target_offline';
      this.fail(id, new Error(offline ? 'the board is not connected to the relay' : `${String(frame.error)}: ${String(frame.detail ?? '')}`));
      return true;
    }
    if (frame.type !== 'response') return false;
    const inner = openSealed(entry.key, frame.packet);
    this.pending.delete(id);
    window.clearTimeout(entry.timer);
    if (!inner) entry.reject(new Error('the reply could not be opened with this token: is it the board\'s device token?'));
    else if (inner.request_id !== undefined && inner.request_id !== entry.requestId) entry.reject(new Error('the board answered another request'));
    else entry.resolve(inner);
    return true;
  }
}
