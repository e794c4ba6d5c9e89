/** A scripted LAN for probes: the test says which host:port is awake; every probe is recorded. */
import type { Probe, ProbeState, TcpProber } from '../types';
import type { ManualTimers } from './timers';

export interface ProbeRecord {
  host: string;
  port: number;
  at: number;
}

export class MemoryProber implements TcpProber {
  /** `host:port` → the answer; anything not listed stays silent (down after the timeout). */
  readonly hosts = new Map<string, ProbeState>();
  readonly probes: ProbeRecord[] = [];
  /** How long an awake host takes to answer. */
  answerMs = 5;
  private inFlight = 0;
  /** Most probes that were ever waiting at once. */
  peakInFlight = 0;

  constructor(private readonly timers: ManualTimers) {}

  probe(host: string, port: number, timeoutMs: number, done: (state: ProbeState) => void): Probe {
    this.probes.push({ host, port, at: this.timers.now });
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const awake = this.hosts.get(`${host}:${port}`) === 'up';
    let settled = false;
    const handle = this.timers.setTimeout(() => {
      settled = true;
      this.inFlight--;
      done(awake ? 'up' : 'down');
    }, awake ? Math.min(this.answerMs, timeoutMs) : timeoutMs);
    return {
      cancel: () => {
        if (settled) return;
        settled = true;
        this.inFlight--;
        this.timers.clearTimeout(handle);
      },
    };
  }
}
