/**
 * Every probe the board makes goes through here, so the bounds hold whoever asks (a wake being
 * watched, `status`): at most `maxInFlight` probes at once, at most one probe per target per
 * second (a later request within the second gets that probe's answer), and only ever the host
 * and port a stored target names. Requests for a target already being probed share its probe.
 */
import { PROBE_MIN_INTERVAL_MS } from '../constants';
import type { Clock, ProbeState, TcpProber, Timers, TimerHandle } from '../platform/types';

const LAST_RESULTS_MAX = 64;

interface Pending {
  host: string;
  port: number;
  timeoutMs: number;
  waiting: Array<(state: ProbeState) => void>;
}

interface Last {
  /** When that probe started: the once-a-second bound counts from starts. */
  at: number;
  state: ProbeState;
}

/** The maps are made on first probe: most boards are never asked for one (RAM, see device.ts). */
export class ProbeQueue {
  private pendingMap: Map<string, Pending> | null = null;
  private runningSet: Set<string> | null = null;
  private lastMap: Map<string, Last> | null = null;
  private wake: TimerHandle | null = null;
  /** Probes started since boot (diagnostics, tests). */
  started = 0;

  constructor(
    private readonly prober: TcpProber,
    private readonly timers: Timers,
    private readonly clock: Clock,
    private readonly maxInFlight: number,
  ) {}

  private get pending(): Map<string, Pending> {
    return (this.pendingMap ??= new Map());
  }

  private get running(): Set<string> {
    return (this.runningSet ??= new Set());
  }

  private get last(): Map<string, Last> {
    return (this.lastMap ??= new Map());
  }

  probe(host: string, port: number, timeoutMs: number, done: (state: ProbeState) => void): void {
    const key = `${host}:${port}`;
    const last = this.last.get(key);
    if (last && this.clock.uptimeMs() - last.at < PROBE_MIN_INTERVAL_MS && !this.running.has(key)) {
      const state = last.state;
      this.timers.setTimeout(() => done(state), 0);
      return;
    }
    const pending = this.pending.get(key);
    if (pending) pending.waiting.push(done);
    else this.pending.set(key, { host, port, timeoutMs, waiting: [done] });
    this.pump();
  }

  /** Drops what is waiting (stop, factory reset); probes already out finish unheard. */
  clear(): void {
    this.pendingMap?.clear();
    this.lastMap?.clear();
    if (this.wake !== null) this.timers.clearTimeout(this.wake);
    this.wake = null;
  }

  private pump(): void {
    const now = this.clock.uptimeMs();
    let soonest = Infinity;
    for (const [key, request] of this.pending) {
      if (this.running.size >= this.maxInFlight) break;
      if (this.running.has(key)) continue;
      const last = this.last.get(key);
      const ready = last === undefined ? now : last.at + PROBE_MIN_INTERVAL_MS;
      if (ready > now) {
        soonest = Math.min(soonest, ready);
        continue;
      }
      this.pending.delete(key);
      this.start(key, request);
    }
    if (soonest !== Infinity && this.wake === null) {
      this.wake = this.timers.setTimeout(() => {
        this.wake = null;
        this.pump();
      }, soonest - now);
    }
  }

  private start(key: string, request: Pending): void {
    // Keys come from stored targets only; the bound covers targets deleted since.
    if (this.last.size >= LAST_RESULTS_MAX) this.last.clear();
    this.running.add(key);
    this.started++;
    this.last.set(key, { at: this.clock.uptimeMs(), state: 'down' });
    const at = this.clock.uptimeMs();
    this.prober.probe(request.host, request.port, request.timeoutMs, (state) => {
      this.running.delete(key);
      this.last.set(key, { at, state });
      for (const done of request.waiting) done(state);
      this.pump();
    });
  }
}
