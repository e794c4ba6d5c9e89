/**
 * Preloaded (`node --import`) into the relay and the baseline server when the benchmark starts
 * them, so both are measured the same way: the load generator asks over the IPC channel for CPU
 * time and memory (after a forced GC, so RSS compares live data, not garbage timing).
 *
 * Optional: BENCH_RELAY_LIMITS, a JSON object of numeric relay LIMITS with the value each must at
 * least have, e.g. the per-socket message budget (20/s by design, catalogue C3), which caps one
 * request/response pair at 20 round trips/s and would hide the relay's own cost, or the sockets
 * allowed per user and per IP, which a one-address load generator may exceed by design. Limits
 * are only raised, never lowered; names this relay does not have are skipped. What was really
 * raised is sent to the parent (`{ raised }`) and reported with the figures. The relay reads its
 * limits when it builds the app or opens a socket, so changing them before it starts is enough.
 */
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
}

/** Limit name → [shipped value, value used]; only the ones this run raised. */
const raised: Record<string, [number, number]> = {};
const overrides = process.env.BENCH_RELAY_LIMITS;
if (overrides !== undefined && overrides !== '') {
  // The relay's own limits module (set by processes.ts; a patched relay copy has its own).
  const { LIMITS } = (await import(process.env.BENCH_RELAY_LIMITS_MODULE ?? '../../server/limits')) as typeof import('../../server/limits');
  const limits = LIMITS as unknown as Record<string, unknown>;
  for (const [name, wanted] of Object.entries(JSON.parse(overrides) as Record<string, unknown>)) {
    const shipped = limits[name];
    if (typeof wanted !== 'number' || !(wanted > 0)) throw new Error(`BENCH_RELAY_LIMITS: ${name} must be a positive number`);
    if (typeof shipped !== 'number' || shipped >= wanted) continue;
    limits[name] = wanted;
    if (limits[name] !== wanted) throw new Error(`BENCH_RELAY_LIMITS: could not raise ${name} (frozen?)`);
    raised[name] = [shipped, wanted];
  }
}

const collect = (globalThis as { gc?: () => void }).gc;

function sample(): ProbeSample {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { userMicros: cpu.user, systemMicros: cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external };
}

if (process.send) {
  process.send({ raised });
  process.on('message', (message: ProbeRequest) => {
    if (typeof message !== 'object' || message === null || typeof message.probe !== 'number') return;
    if (message.gc && collect) {
      // Two passes: the first may only schedule finalizers for objects the second frees.
      collect();
      collect();
    }
    if (typeof message.heapSnapshot === 'string') writeHeapSnapshot(message.heapSnapshot);
    process.send!({ probe: message.probe, sample: sample() });
  });
  // The IPC channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();
}
