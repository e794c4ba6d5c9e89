/** Serial logger, hardware random source and restart for the board. */
import { chipId, freeHeap, randomBytes, restart } from 'wakelink/board';
import type { Logger, RandomSource, System } from '../types';

/** The native helper hands out at most this many bytes per call. */
const RANDOM_CHUNK = 256;

export const board = Object.freeze({ chipId, freeHeap });

export const hardwareRandom: RandomSource = Object.freeze({
  bytes(length) {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += RANDOM_CHUNK) {
      out.set(new Uint8Array(randomBytes(Math.min(RANDOM_CHUNK, length - offset))), offset);
    }
    return out;
  },
});

export const serialLogger: Logger = Object.freeze({
  log(level: string, message: string) {
    trace(`[${level}] ${message}\n`);
  },
});

export const boardSystem: System = Object.freeze({
  restart: () => restart(),
});
