/** Timers on Moddable's `timer` module. */
import Timer from 'timer';
import type { TimerHandle, Timers } from '../types';

type MTimer = ReturnType<typeof Timer.set>;

export function createModdableTimers(): Timers {
  const clear = (handle: TimerHandle): void => {
    if (handle) Timer.clear(handle as MTimer);
  };
  return {
    setTimeout: (callback, ms) => Timer.set(() => callback(), Math.max(0, ms)),
    setInterval: (callback, ms) => Timer.repeat(() => callback(), Math.max(1, ms)),
    clearTimeout: clear,
    clearInterval: clear,
  };
}
