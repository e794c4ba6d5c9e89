/**
 * Closed-loop load: every lane (one client) keeps exactly one request outstanding, as the CLI
 * does. Warm-up first, then a measured window bracketed by CPU probes of the server, then a
 * bounded drain. Bounded by time, by a round-trip count, and by a drain deadline.
 */
import path from 'node:path';
import { cpuMicros, type MeasuredProcess } from './processes';
import { LatencyRecorder, sleep } from './stats';

/** Kept latency samples per window (about 16 MB); more are counted, not kept. */
const LATENCY_CAPACITY = 2_000_000;
const CHECK_INTERVAL_MS = 20;
const DRAIN_TIMEOUT_MS = 20_000;

export interface LoopTiming {
  warmupMs: number;
  durationMs: number;
  /** Hard cap on round trips in the measured window. */
  maxRoundTrips: number;
}

export interface LoopResult {
  lanes: number;
  roundTrips: number;
  seconds: number;
  roundTripsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system) per round trip in the window, microseconds. */
  serverCpuMicrosPerRoundTrip: number;
  /** Share of one core the server used in the window. */
  serverCpuShare: number;
  /** Same for the load generator itself, to show when it, not the server, is the bottleneck. */
  loadCpuShare: number;
}

/**
 * BENCH_PROFILE_WINDOW_DIR: the relays (not the references) write a CPU profile of each measured
 * window there, `<server>-<lanes>-<n>.cpuprofile` (profile-summary.ts sums several).
 */
const PROFILE_DIR = process.env.BENCH_PROFILE_WINDOW_DIR;
let profiled = 0;

function profileFile(server: MeasuredProcess, lanes: number): string | undefined {
  if (!PROFILE_DIR || !server.name.startsWith('relay')) return undefined;
  return path.join(PROFILE_DIR, `${server.name.replace(/\s+/g, '-')}-${lanes}-${++profiled}.cpuprofile`);
}

/** One round trip of one lane; rejects on any unexpected frame or reply. */
export type RoundTrip = () => Promise<void>;

export async function closedLoop(lanes: RoundTrip[], server: MeasuredProcess, timing: LoopTiming): Promise<LoopResult> {
  const latencies = new LatencyRecorder(LATENCY_CAPACITY);
  let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
  let counted = 0;
  let failure: Error | undefined;

  const run = async (roundTrip: RoundTrip) => {
    while (phase !== 'drain' && failure === undefined) {
      const start = performance.now();
      await roundTrip();
      if (phase === 'measure' && counted < timing.maxRoundTrips) {
        latencies.add(performance.now() - start);
        counted += 1;
      }
    }
  };
  const running = Promise.all(lanes.map((lane) => run(lane).catch((error: Error) => { failure ??= error; })));

  await sleep(timing.warmupMs);
  const profileTo = profileFile(server, lanes.length);
  const before = await server.probe(false, undefined, profileTo ? 'start' : undefined);
  const loadBefore = process.cpuUsage();
  latencies.reset();
  counted = 0;
  const start = performance.now();
  phase = 'measure';
  while (failure === undefined && counted < timing.maxRoundTrips && performance.now() - start < timing.durationMs) {
    await sleep(Math.min(CHECK_INTERVAL_MS, Math.max(1, timing.durationMs - (performance.now() - start))));
  }
  phase = 'drain';
  const roundTrips = counted;
  const seconds = (performance.now() - start) / 1000;
  const after = await server.probe(false, undefined, profileTo ? { stop: profileTo } : undefined);
  const load = process.cpuUsage(loadBefore);

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DRAIN_TIMEOUT_MS)));
  const drained = await Promise.race([running.then(() => 'done' as const), deadline]);
  clearTimeout(timer);
  if (failure) throw failure;
  if (drained === 'timeout') throw new Error(`lanes did not finish their last round trip within ${DRAIN_TIMEOUT_MS} ms`);
  if (roundTrips === 0) throw new Error(`no round trip completed through the ${server.name} in ${seconds.toFixed(1)} s`);

  const serverMicros = cpuMicros(before, after);
  return {
    lanes: lanes.length,
    roundTrips,
    seconds,
    roundTripsPerSecond: roundTrips / seconds,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    serverCpuMicrosPerRoundTrip: serverMicros / roundTrips,
    serverCpuShare: serverMicros / 1e6 / seconds,
    loadCpuShare: (load.user + load.system) / 1e6 / seconds,
  };
}
