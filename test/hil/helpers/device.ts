/** Starts the simulator (real firmware, chosen engine) with its console captured, plus a WoL capture socket. */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Engine } from '../../../sim/args';
import { REAL_FIRMWARE } from '../../../sim/firmware';
import type { ConsoleLine } from '../../../sim/node/logger';
import { Simulator, type SimulatorOptions } from '../../../sim/simulator';

/**
 * The engines every HIL case runs on: node and xs in `npm test`; `npm run test:moddable` sets
 * WAKELINK_HIL_ENGINES=moddable to run the same cases on the real Moddable lin build.
 */
export const ENGINES: readonly Engine[] = hilEngines(process.env.WAKELINK_HIL_ENGINES);

function hilEngines(list: string | undefined): Engine[] {
  if (!list) return ['node', 'xs'];
  const engines = list.split(',').map((name) => name.trim());
  for (const engine of engines) {
    if (engine !== 'node' && engine !== 'xs' && engine !== 'moddable') throw new Error(`WAKELINK_HIL_ENGINES: unknown engine "${engine}"`);
  }
  return engines as Engine[];
}
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomToken(length = 96): string {
  let out = '';
  for (const byte of randomBytes(length)) out += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  return out;
}

/** A fresh device id (24-bit chip id, no leading zero), so parallel suites never share one. */
export function randomDeviceId(): string {
  return 'WL' + (0x100000 + randomBytes(3).readUIntBE(0, 3) % 0xf00000).toString(16).toUpperCase();
}

export interface WolCapture {
  port: number;
  packets: Buffer[];
  /** Resolves with the next datagram (or the oldest one not yet taken). */
  next(timeoutMs?: number): Promise<Buffer>;
  close(): void;
}

export async function captureWol(): Promise<WolCapture> {
  const socket = dgram.createSocket('udp4');
  const packets: Buffer[] = [];
  let taken = 0;
  const waiters: Array<() => void> = [];
  socket.on('message', (message) => {
    packets.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    packets,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (packets.length <= taken) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error('no magic packet arrived on the capture socket');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return packets[taken++]!;
    },
    close: () => socket.close(),
  };
}

export interface HilDevice {
  sim: Simulator;
  deviceId: string;
  token: string;
  lines: ConsoleLine[];
  fatal: Error[];
  /** Waits until a console line matches (looking at lines logged after `fromIndex`). */
  waitForLine(pattern: RegExp, timeoutMs?: number, fromIndex?: number): Promise<ConsoleLine>;
  /**
   * Waits for the "ready" line of the boot that logs after `fromIndex`, then for a status round
   * trip: on XS the LAN listener is requested in the same turn as that line, after it, and a
   * status event is only handled once that turn is over.
   */
  waitReady(fromIndex?: number): Promise<void>;
  stop(): Promise<void>;
}

export type HilDeviceOptions = Partial<Omit<SimulatorOptions, 'firmware' | 'engine' | 'sink' | 'onFatal'>> & { engine: Engine; wolPort: number };

export async function startDevice(options: HilDeviceOptions): Promise<HilDevice> {
  const lines: ConsoleLine[] = [];
  const fatal: Error[] = [];
  const waiters: Array<() => void> = [];
  const token = options.token ?? randomToken();
  const deviceId = options.deviceId ?? randomDeviceId();
  const { wolPort, ...rest } = options;
  const sim = await Simulator.start({
    firmware: REAL_FIRMWARE,
    lanPort: 0,
    wol: { host: '127.0.0.1', port: wolPort },
    ...rest,
    deviceId,
    token,
    sink: (line) => {
      lines.push(line);
      for (const wake of waiters.splice(0)) wake();
    },
    onFatal: (error) => fatal.push(error),
  });
  const waitForLine = async (pattern: RegExp, timeoutMs = 10_000, fromIndex = 0): Promise<ConsoleLine> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.slice(fromIndex).find((line) => pattern.test(line.message));
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no console line matching ${pattern} within ${timeoutMs} ms:\n${lines.map((l) => l.message).join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return {
    sim, deviceId, token, lines, fatal, waitForLine,
    async waitReady(fromIndex = 0) {
      await waitForLine(/ready on port/, 10_000, fromIndex);
      const status = await sim.status();
      if (status.mode !== 'STA') throw new Error(`device not in station mode: ${JSON.stringify(status)}`);
    },
    stop: () => sim.stop(),
  };
}

export function tempStateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-hil-state-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** 6 x 0xFF then the MAC 16 times (spec 5.2), built independently of shared/wol.ts. */
export function expectedMagicPacket(mac: string): Buffer {
  const macBytes = Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
  return Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => macBytes)]);
}
