/**
 * Wake confirmation: after a magic packet to a target that has an address, the board probes it
 * every 2 s until it answers or its window (120 s by default) ends, re-sends the magic packet
 * `retries` times spread over the window while it is still down, and then publishes the outcome
 * as an event: `{event: "wake_result", target, state: "up" | "timeout", after_ms, trigger}`.
 * At most `maxWatches` wakes are watched at once; a second wake of a target being watched joins it.
 */
import type { JsonObject, Target } from '../../shared/index';
import { WATCH_PROBE_INTERVAL_MS, WATCH_PROBE_TIMEOUT_MS } from '../constants';
import type { Clock, Timers, TimerHandle } from '../platform/types';
import type { ProbeQueue } from './probe-queue';

export type WakeTrigger = 'command' | 'schedule';

const RESULTS_MAX = 64;

/** What `wake_result` reports for a target. */
export interface WakeResult {
  state: 'waiting' | 'up' | 'timeout' | 'none';
  afterMs?: number;
  elapsedMs?: number;
}

export interface WatcherDeps {
  readonly probes: ProbeQueue;
  readonly timers: Timers;
  readonly clock: Clock;
  readonly maxWatches: number;
  /** Sends the target's magic packet again. */
  resend(target: Target): void;
  /** Hands the outcome to the cloud link (sealed there); LAN clients ask with `wake_result`. */
  publish(event: JsonObject): void;
}

class Watch {
  private timer: TimerHandle | null = null;
  private finished = false;
  private resent = 0;
  readonly startedAt: number;

  constructor(private readonly watcher: WakeWatcher, readonly target: Target, readonly trigger: WakeTrigger) {
    this.startedAt = watcher.deps.clock.uptimeMs();
    this.schedule(0);
  }

  elapsed(): number {
    return this.watcher.deps.clock.uptimeMs() - this.startedAt;
  }

  stop(): void {
    this.finished = true;
    if (this.timer !== null) this.watcher.deps.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.timer = this.watcher.deps.timers.setTimeout(() => this.probe(), ms);
  }

  private probe(): void {
    this.timer = null;
    if (this.finished) return;
    const started = this.elapsed();
    this.watcher.deps.probes.probe(this.target.host, this.target.port, WATCH_PROBE_TIMEOUT_MS, (state) => {
      if (this.finished) return;
      const elapsed = this.elapsed();
      if (state === 'up') return this.watcher.finish(this, 'up', elapsed);
      const window = this.target.waitSeconds * 1000;
      if (elapsed >= window) return this.watcher.finish(this, 'timeout', elapsed);
      // Re-sends fall at 1/(r+1), 2/(r+1) ... of the window.
      const due = Math.floor((elapsed * (this.target.retries + 1)) / window);
      if (this.resent < Math.min(due, this.target.retries)) {
        this.resent++;
        this.watcher.deps.resend(this.target);
      }
      this.schedule(Math.max(0, Math.min(started + WATCH_PROBE_INTERVAL_MS, window) - elapsed));
    });
  }
}

/** The maps are made on first use: most boards are never asked to watch a wake (RAM, see device.ts). */
export class WakeWatcher {
  private watchesMap: Map<string, Watch> | null = null;
  private resultsMap: Map<string, { state: 'up' | 'timeout'; afterMs: number }> | null = null;

  private get watches(): Map<string, Watch> {
    return (this.watchesMap ??= new Map());
  }

  private get results(): Map<string, { state: 'up' | 'timeout'; afterMs: number }> {
    return (this.resultsMap ??= new Map());
  }

  constructor(readonly deps: WatcherDeps) {}

  /** Starts (or joins) the watch of a target; false when as many are running as allowed. */
  watch(target: Target, trigger: WakeTrigger): boolean {
    if (!target.host) return false;
    if (this.watches.has(target.name)) return true;
    if (this.watches.size >= this.deps.maxWatches) return false;
    this.results.delete(target.name);
    this.watches.set(target.name, new Watch(this, target, trigger));
    return true;
  }

  result(name: string): WakeResult {
    const watch = this.watches.get(name);
    if (watch) return { state: 'waiting', elapsedMs: watch.elapsed() };
    const result = this.results.get(name);
    return result ? { state: result.state, afterMs: result.afterMs } : { state: 'none' };
  }

  stop(): void {
    if (!this.watchesMap) return;
    for (const watch of this.watchesMap.values()) watch.stop();
    this.watchesMap.clear();
  }

  finish(watch: Watch, state: 'up' | 'timeout', afterMs: number): void {
    watch.stop();
    const name = watch.target.name;
    this.watches.delete(name);
    // One result per target name, the oldest dropped past the bound (targets deleted since).
    if (this.results.size >= RESULTS_MAX) this.results.delete(this.results.keys().next().value!);
    this.results.set(name, { state, afterMs });
    this.deps.publish({ event: 'wake_result', target: name, state, after_ms: afterMs, trigger: watch.trigger });
  }
}
