/** WebSocket peers of the load generator: v1.0 auth handshake for the relay, plain connect for the baseline. */
import { WebSocket } from 'ws';

const CONNECT_TIMEOUT_MS = 20_000;

export interface PeerOptions {
  /** Relay: send `{"type":"auth","token"}` and wait for the welcome frame. Baseline: undefined. */
  token?: string;
  /** Frames after the handshake; attached before the welcome resolves, so nothing is missed. */
  onMessage?: (text: string, ws: WebSocket) => void;
}

/** Opens one socket; resolves once it is usable (after the welcome on the relay). */
export function openPeer(url: string, options: PeerOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`no ${options.token ? 'welcome' : 'open'} within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    const fail = (error: Error) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    const becomeReady = () => {
      ready = true;
      clearTimeout(timer);
      resolve(ws);
    };
    ws.on('error', (error) => fail(error));
    ws.on('close', (code, reason) => fail(new Error(`closed before ready: ${code} ${reason.toString()}`)));
    ws.on('open', () => {
      if (options.token === undefined) return becomeReady();
      ws.send(JSON.stringify({ type: 'auth', token: options.token }));
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (ready) return options.onMessage?.(text, ws);
      if (text.includes('"welcome"')) return becomeReady();
      fail(new Error(`handshake refused: ${text.slice(0, 200)}`));
    });
  });
}

/**
 * Runs `open(i)` for i in [0, count) with at most `concurrency` in flight. Stops at the first
 * failure and reports how many had opened, so a size the machine refuses can be reported.
 */
export async function openMany<T>(count: number, concurrency: number, open: (index: number) => Promise<T>): Promise<{ opened: T[]; error?: Error }> {
  const opened: T[] = [];
  let next = 0;
  let error: Error | undefined;
  const worker = async () => {
    while (error === undefined && next < count) {
      const index = next++;
      try {
        opened[index] = await open(index);
      } catch (e) {
        error ??= e as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return error ? { opened: opened.filter((x) => x !== undefined), error } : { opened };
}

/** Closes sockets without waiting for the close handshake. */
export function terminateAll(sockets: Iterable<WebSocket>): void {
  for (const ws of sockets) ws.terminate();
}
