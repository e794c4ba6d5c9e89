/**
 * Preloaded (`node --import`) into the relay and the baseline server when the benchmark starts
 * them, so both are measured the same way: the load generator asks over the IPC channel for CPU
 * time and memory (after a forced GC, so RSS compares live data, not garbage timing).
 *
 * Optional, for the throughput sections only: BENCH_WS_MESSAGES_PER_SECOND raises the relay's
 * per-socket message budget (LIMITS.wsMessagesPerSecond, 20/s by design, catalogue C3), which
 * otherwise caps one request-response pair at 20 round trips/s and hides the relay's own cost.
 * The relay reads the limit when a socket opens, so changing it before any connection is enough.
 */
export interface ProbeSample {
  /** process.cpuUsage() of the measured process, microseconds. */
  userMicros: number;
  systemMicros: number;
  rss: number;
  heapUsed: number;
  external: number;
}

export interface ProbeRequest {
  probe: number;
  gc: boolean;
}

const rateOverride = process.env.BENCH_WS_MESSAGES_PER_SECOND;
if (rateOverride !== undefined && rateOverride !== '') {
  const perSecond = Number(rateOverride);
  if (!(perSecond > 0)) throw new Error(`BENCH_WS_MESSAGES_PER_SECOND must be a positive number, got "${rateOverride}"`);
  // The relay's own limits module (set by processes.ts; a patched relay copy has its own).
  const { LIMITS } = (await import(process.env.BENCH_RELAY_LIMITS_MODULE ?? '../../server/limits')) as typeof import('../../server/limits');
  const limits = LIMITS as unknown as Record<string, number>;
  limits.wsMessagesPerSecond = perSecond;
  limits.wsMessageBurst = perSecond;
  if (LIMITS.wsMessagesPerSecond !== perSecond) throw new Error('could not raise the relay message rate for the benchmark');
}

const collect = (globalThis as { gc?: () => void }).gc;

function sample(): ProbeSample {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { userMicros: cpu.user, systemMicros: cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external };
}

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.probe !== 'number') return;
    if (message.gc && collect) {
      // Two passes: the first may only schedule finalizers for objects the second frees.
      collect();
      collect();
    }
    process.send!({ probe: message.probe, sample: sample() });
  });
  // The IPC channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();
}
