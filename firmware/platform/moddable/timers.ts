/** Timers on Moddable's `timer` module; a callback that throws is logged, never an abort. */
import Timer from 'timer';
import type { TimerHandle, Timers } from '../types';
import { guard } from './guard';

type MTimer = ReturnType<typeof Timer.set>;

export function createModdableTimers(): Timers {
  const clear = (handle: TimerHandle): void => {
    if (handle) Timer.clear(handle as MTimer);
  };
  return {
    setTimeout: (callback, ms) => Timer.set(guard('timer', callback), Math.max(0, ms)),
    setInterval: (callback, ms) => Timer.repeat(guard('interval timer', callback), Math.max(1, ms)),
    clearTimeout: clear,
    clearInterval: clear,
  };
}
