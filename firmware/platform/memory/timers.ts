/** Virtual time: timers run only when `advance` is called, in due order. For tests and the simulator. */
import type { TimerHandle, Timers } from '../types';

interface Entry {
  id: number;
  due: number;
  interval: number;
  callback: () => void;
}

export class ManualTimers implements Timers {
  private nowMs = 0;
  private nextId = 1;
  private readonly entries = new Map<number, Entry>();

  get now(): number {
    return this.nowMs;
  }

  get pending(): number {
    return this.entries.size;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, 0);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.entries.delete(handle);
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next: Entry | undefined;
      for (const entry of this.entries.values()) if (entry.due <= target && (!next || entry.due < next.due)) next = entry;
      if (!next) break;
      this.nowMs = next.due;
      if (next.interval > 0) next.due += next.interval;
      else this.entries.delete(next.id);
      next.callback();
    }
    this.nowMs = target;
  }

  private add(callback: () => void, ms: number, interval: number): number {
    const id = this.nextId++;
    this.entries.set(id, { id, due: this.nowMs + Math.max(0, ms), interval, callback });
    return id;
  }
}
