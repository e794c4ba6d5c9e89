/**
 * Preloaded (`node --import`) into the relay and the baseline server when the benchmark starts
 * them, so both are measured the same way: the load generator asks over the IPC channel for CPU
 * time and memory (after a forced GC, so RSS compares live data, not garbage timing).
 *
 * The relay's limits are raised through its documented environment variables (processes.ts),
 * never by patching server/limits.ts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';

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
  /** Also write a heap snapshot to this path (for heap-summary.ts); developer use. */
  heapSnapshot?: string;
  /**
   * CPU profile of exactly a measured window (developer use, BENCH_PROFILE_WINDOW_DIR):
   * `start` after sampling, or stop and write the profile to this path after sampling.
   */
  profile?: 'start' | { stop: string };
}

let profiler: Session | undefined;

function profile(request: NonNullable<ProbeRequest['profile']>, done: () => void): void {
  if (request === 'start') {
    profiler ??= new Session();
    try {
      profiler.connect();
    } catch { /* already connected */ }
    profiler.post('Profiler.enable', () => profiler!.post('Profiler.setSamplingInterval', { interval: 200 }, () => profiler!.post('Profiler.start', () => done())));
    return;
  }
  if (!profiler) return done();
  profiler.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(request.stop, JSON.stringify(result.profile));
    done();
  });
}

const collect = (globalThis as { gc?: () => void }).gc;

function sample(): ProbeSample {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { userMicros: cpu.user, systemMicros: cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external };
}

if (process.send) {
  process.send({ ready: true });
  process.on('message', (message: ProbeRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.probe !== 'number') return;
    if (message.gc && collect) {
      // Two passes: the first may only schedule finalizers for objects the second frees.
      collect();
      collect();
    }
    if (typeof message.heapSnapshot === 'string') writeHeapSnapshot(message.heapSnapshot);
    const measured = sample();
    const reply = () => process.send!({ probe: message.probe, sample: measured });
    if (message.profile) profile(message.profile, reply);
    else reply();
  });
  // The IPC channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();
}
