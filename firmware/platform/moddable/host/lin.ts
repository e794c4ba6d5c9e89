/**
 * The lin host build's control channel (manifest: "wakelink/host" on lin only). Our headless host
 * (sim/moddable/host.c) delivers each line it reads on stdin as `screen.onMessage(text)` and
 * writes what we `screen.postMessage` to its reply pipe; sim/moddable/engine.ts is the other end.
 * One JSON request per line, `{"id": n, "op": ...}`, one reply each:
 * - `status`: the device status (mode, cloud link, counter, LAN connections);
 * - `stop`: an orderly stop (listeners, sockets and timers closed, counter flushed);
 * - `memory`: a forced garbage collection, then the XS memory figures (wakelink/memory).
 * Nothing here can change the device's settings or secrets.
 */
import Debug from 'debug';
import { memory } from 'wakelink/memory';
// Type-only imports: this module's name is "wakelink/host", so a relative runtime import would not resolve.
import type { DeviceHandle, Logger } from '../../types';

interface HostScreen {
  onMessage?: (message: unknown) => void;
  postMessage(message: string): void;
}

/** Requests longer than this are not parsed (the host also drops lines over 4 KB). */
const MAX_REQUEST_CHARS = 256;

function answer(device: DeviceHandle, op: unknown): Record<string, unknown> {
  if (op === 'status') return { ok: true, status: device.status() };
  if (op === 'stop') {
    device.stop();
    return { ok: true };
  }
  if (op === 'memory') {
    Debug.gc();
    return { ok: true, memory: memory() };
  }
  return { ok: false, error: 'unknown op' };
}

export function attachHost(device: DeviceHandle, logger: Logger): void {
  const screen = (globalThis as unknown as { screen?: HostScreen }).screen;
  // Launched by the SDK's own simulator, or with no host at all: nothing to answer.
  if (!screen || typeof screen.postMessage !== 'function') return;
  // Called by the host outside any other callback: a throw here would abort the machine.
  screen.onMessage = (message: unknown) => {
    try {
      if (typeof message !== 'string' || message.length > MAX_REQUEST_CHARS) return;
      let request: { id?: unknown; op?: unknown };
      try {
        request = JSON.parse(message) as { id?: unknown; op?: unknown };
      } catch {
        logger.log('warn', 'host control: unparsable request');
        return;
      }
      const id = typeof request.id === 'number' ? request.id : null;
      let reply: Record<string, unknown>;
      try {
        reply = answer(device, request.op);
      } catch (error) {
        // Still answered, so the host never waits for a reply that cannot come.
        reply = { ok: false, error: String(error) };
      }
      screen.postMessage(JSON.stringify({ id, ...reply }));
    } catch (error) {
      logger.log('error', `host control: ${String(error)}`);
    }
  };
}
