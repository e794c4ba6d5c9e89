/** The simulator's end of the XS bridge: spawns the xsnap-owning child and speaks its IPC protocol. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GuestReply, HostEvent, HostReply } from './protocol';

const CHILD = fileURLToPath(new URL('./bridge-child.mjs', import.meta.url));
/** Bundle evaluation plus engine start-up; the reference crypto and firmware load in well under this. */
export const XS_START_TIMEOUT_MS = 20_000;

type ChildMessage =
  | { t: 'ready' }
  | { t: 'fatal'; message: string }
  | { t: 'req'; seq: number; body: string }
  | { t: 'ev-done'; seq: number; body?: string; error?: string };

export interface XsBridgeOptions {
  /** The bundled script (classic script, IIFE) to evaluate in XS. */
  code: string;
  /** Answers one synchronous request from XS. Must not throw. */
  serve: (request: string) => HostReply;
  /** The child died or the engine failed outside any event (not after `close`). */
  onExit: (reason: string) => void;
}

export class XsBridge {
  private nextEvent = 1;
  private readonly waiting = new Map<number, { resolve: (reply: GuestReply) => void; reject: (error: Error) => void }>();
  private closed = false;

  private constructor(private readonly child: ChildProcess, private readonly dir: string) {}

  static start(options: XsBridgeOptions): Promise<XsBridge> {
    const dir = mkdtempSync(path.join(tmpdir(), 'wl-sim-xs-'));
    const script = path.join(dir, 'firmware.js');
    writeFileSync(script, options.code);
    // Own process group: a terminal Ctrl-C must not kill the engine under the simulator's feet; the
    // simulator ends it by disconnecting, and the child exits by itself if the simulator dies.
    const child = spawn(process.execPath, [CHILD, script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    const bridge = new XsBridge(child, dir);
    // EPIPE and friends: the exit handler below reports the child's death; nothing to add here.
    child.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          bridge.kill();
          reject(new Error(`XS engine did not start within ${XS_START_TIMEOUT_MS} ms`));
        }
      }, XS_START_TIMEOUT_MS);
      child.on('message', (raw) => {
        const message = raw as ChildMessage;
        if (message.t === 'req') {
          if (child.connected) child.send({ t: 'res', seq: message.seq, body: JSON.stringify(options.serve(message.body)) }, () => undefined);
        } else if (message.t === 'ev-done') {
          bridge.settle(message);
        } else if (message.t === 'ready') {
          ready = true;
          clearTimeout(timer);
          resolve(bridge);
        } else if (message.t === 'fatal') {
          clearTimeout(timer);
          if (!ready) reject(new Error(`XS engine failed: ${message.message}`));
          else options.onExit(`XS engine failed: ${message.message}`);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const reason = `XS bridge exited (${code ?? signal})`;
        bridge.failAll(reason);
        bridge.cleanup();
        if (!ready) reject(new Error(reason));
        else if (!bridge.closed) options.onExit(reason);
      });
    });
  }

  get alive(): boolean {
    return !this.closed && this.child.connected;
  }

  /** Delivers one event to XS; resolves with the guest's reply once XS (and its promise jobs) finished. */
  push(event: HostEvent): Promise<GuestReply> {
    if (this.closed || !this.child.connected) return Promise.reject(new Error('XS bridge is closed'));
    const seq = this.nextEvent++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.child.send({ t: 'ev', seq, body: JSON.stringify(event) }, (error) => {
        if (error) this.settle({ seq, error: `XS bridge is gone: ${error.message}` });
      });
    });
  }

  /** Ends the engine: disconnecting makes the child terminate xsnap and exit; SIGKILL if it lingers. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.kill(), 2000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.child.connected) this.child.disconnect();
      else this.kill();
    });
  }

  private kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private settle(message: { seq: number; body?: string; error?: string }): void {
    const waiter = this.waiting.get(message.seq);
    if (waiter === undefined) return;
    this.waiting.delete(message.seq);
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(JSON.parse(message.body ?? '{}') as GuestReply);
  }

  private failAll(reason: string): void {
    for (const waiter of this.waiting.values()) waiter.reject(new Error(reason));
    this.waiting.clear();
  }

  private cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
