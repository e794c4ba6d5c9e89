import WebSocket from 'ws';

/** A real `ws` client that buffers frames so tests can await them in order. */
export class WsProbe {
  readonly socket: WebSocket;
  private readonly frames: string[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  unexpectedResponse: number | null = null;

  constructor(url: string, options: WebSocket.ClientOptions = {}, protocols?: string | string[]) {
    this.socket = new WebSocket(url, protocols, options);
    this.socket.on('message', (data) => {
      this.frames.push(data.toString());
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_req, res) => {
        this.unexpectedResponse = res.statusCode ?? 0;
        reject(new Error(`upgrade refused: ${res.statusCode}`));
      });
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.waiters.splice(0).forEach((wake) => wake());
      });
    });
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** The next frame as parsed JSON; fails after `timeoutMs`. */
  async next(timeoutMs = 3000): Promise<any> {
    return JSON.parse(await this.nextText(timeoutMs));
  }

  /** The next frame exactly as received (for byte-for-byte comparisons). */
  async nextText(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a frame');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** Asserts nothing arrives for `ms`. */
  async nothingFor(ms: number): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.frames.length === 0;
  }

  pending(): number {
    return this.frames.length;
  }

  close(): void {
    this.socket.close();
  }
}

/** Opens a device socket with the v1.0 JSON auth frame and returns after the welcome frame. */
export async function connectDevice(wsBase: string, deviceId: string, token: string): Promise<{ probe: WsProbe; welcome: any }> {
  const probe = new WsProbe(`${wsBase}/ws/${deviceId}`);
  await probe.opened;
  probe.send({ type: 'auth', token });
  const welcome = await probe.next();
  return { probe, welcome };
}

export async function connectClient(wsBase: string, clientId: string, token: string): Promise<{ probe: WsProbe; welcome: any }> {
  const probe = new WsProbe(`${wsBase}/ws/client/${clientId}`);
  await probe.opened;
  probe.send({ type: 'auth', token });
  const welcome = await probe.next();
  return { probe, welcome };
}
