import type { TimerHandle, Timers } from '../../firmware/platform/types';
import { guarded, type BootResources } from './resources';

/** Node timers behind the firmware's Timers seam; every handle dies with the boot. */
export function createNodeTimers(resources: BootResources, onError: (error: unknown) => void): Timers {
  const live = new Map<NodeJS.Timeout, () => void>();
  const clear = (handle: TimerHandle): void => {
    const timer = handle as NodeJS.Timeout;
    const untrack = live.get(timer);
    if (untrack === undefined) return;
    clearTimeout(timer);
    live.delete(timer);
    untrack();
  };
  const start = (callback: () => void, ms: number, repeat: boolean): TimerHandle => {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const fire = (): void => {
      if (!repeat) clear(timer);
      guarded(onError, callback);
    };
    const timer = repeat ? setInterval(fire, delay) : setTimeout(fire, delay);
    live.set(timer, resources.track(() => {
      clearTimeout(timer);
      live.delete(timer);
    }));
    return timer;
  };
  return {
    setTimeout: (callback, ms) => start(callback, ms, false),
    clearTimeout: clear,
    setInterval: (callback, ms) => start(callback, ms, true),
    clearInterval: clear,
  };
}
