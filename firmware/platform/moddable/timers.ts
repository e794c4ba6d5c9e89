/**
 * Timers on Moddable's `timer` module; a callback that throws is logged, never an abort. A class,
 * like every adapter here: its methods live once in flash, where an object of closures would cost
 * some 150 bytes of RAM per function on a board (bench `--device`).
 */
import Timer from 'timer';
import type { TimerHandle, Timers } from '../types';
import { guard } from './guard';

type MTimer = ReturnType<typeof Timer.set>;

export class ModdableTimers implements Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle {
    return Timer.set(guard('timer', callback), Math.max(0, ms));
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return Timer.repeat(guard('interval timer', callback), Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle) Timer.clear(handle as MTimer);
  }

  clearInterval(handle: TimerHandle): void {
    if (handle) Timer.clear(handle as MTimer);
  }
}
