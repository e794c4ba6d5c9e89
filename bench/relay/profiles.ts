/** Sizes and durations of the relay sections: `full` for `npm run bench`, `smoke` for the test suite. */
import type { LoopTiming } from './closed-loop';
import type { HttpRoundTripRow } from './http-roundtrip';
import type { IdleRow } from './idle';
import type { BaselineTiming, QueueingResult } from './queueing';
import type { WsRoundTripRow } from './ws-roundtrip';

export interface RelayProfile {
  name: 'full' | 'smoke';
  wsPairs: number[];
  httpClients: number[];
  /** Alternating baseline/relay rounds per size; the median round is reported. */
  rounds: number;
  roundTrip: LoopTiming;
  /** Relay limits raised for the round-trip relay, as environment variables (server/config-limits.ts). */
  roundTripLimits: Record<string, number>;
  producers: number;
  /** Offline devices per producer: enough that no queue reaches the shipped cap within the run. */
  devicesPerProducer: number;
  queueing: LoopTiming;
  insertBaseline: BaselineTiming;
  queueRounds: number;
  idleSizes: number[];
  idleSettleMs: number;
}

/**
 * One load generator drives every pair from one account and one address at full speed, which the
 * shipped per-socket message rates (clients 20/s, devices 200/s) refuse by design; raised through
 * the relay's documented environment variables (at least to these values, see processes.ts) so
 * the relay's own cost is measured. Socket caps per user/IP are raised only where the shipped cap is
 * below what the section opens. Every other limit stays as shipped.
 */
const ROUND_TRIP_LIMITS = {
  WS_MESSAGES_PER_SECOND: 1_000_000, WS_MESSAGE_BURST: 1_000_000, WS_CONNECTIONS_PER_IP: 1_000,
  // The device side of a pair answers at full speed too (its socket's own frame rate, issue 12 item 1).
  DEVICE_MESSAGES_PER_SECOND: 1_000_000, DEVICE_MESSAGE_BURST: 1_000_000,
};

/**
 * Idle capacity: the per-IP socket cap at least the size being measured (the per-user cap follows
 * DEVICE_LIMIT, which the section sets to the size).
 */
export function idleLimits(connections: number): Record<string, number> {
  return { WS_CONNECTIONS_PER_IP: connections + 100 };
}

export const PROFILES: Record<'full' | 'smoke', RelayProfile> = {
  full: {
    name: 'full',
    wsPairs: [1, 10, 100],
    httpClients: [1, 10, 100],
    rounds: 3,
    roundTrip: { warmupMs: 500, durationMs: 2_000, maxRoundTrips: 1_000_000 },
    roundTripLimits: ROUND_TRIP_LIMITS,
    producers: 100,
    devicesPerProducer: 30,
    queueing: { warmupMs: 200, durationMs: 1_000, maxRoundTrips: 500_000 },
    insertBaseline: { durationMs: 1_000, maxInserts: 500_000 },
    queueRounds: 5,
    idleSizes: [1_000, 10_000],
    idleSettleMs: 1_000,
  },
  smoke: {
    name: 'smoke',
    wsPairs: [1, 10],
    httpClients: [1, 10],
    rounds: 1,
    roundTrip: { warmupMs: 50, durationMs: 200, maxRoundTrips: 100_000 },
    roundTripLimits: ROUND_TRIP_LIMITS,
    producers: 100,
    devicesPerProducer: 3,
    queueing: { warmupMs: 50, durationMs: 200, maxRoundTrips: 100_000 },
    insertBaseline: { durationMs: 200, maxInserts: 100_000 },
    queueRounds: 1,
    // 500, not 100: RSS grows in allocator chunks of ~128 kB, which 100 idle sockets may not fill.
    idleSizes: [500],
    idleSettleMs: 100,
  },
};

export interface RelayBenchResults {
  profile: 'full' | 'smoke';
  /** Relay limits each section really raised (environment variable → [shipped, used]). */
  limitOverrides: { roundTrip: Record<string, [number, number]>; idle: Record<string, [number, number]> };
  wsRoundTrip: WsRoundTripRow[];
  httpRoundTrip: HttpRoundTripRow[];
  idle: { openFileLimit: number; rows: IdleRow[] };
  queueing: QueueingResult;
  seconds: number;
}

/** "WS_MESSAGES_PER_SECOND 20 → 1000000, …" or "none", for table titles. */
export function describeRaised(raised: Record<string, [number, number]>): string {
  const entries = Object.entries(raised);
  return entries.length === 0 ? 'none' : entries.map(([name, [from, to]]) => `${name} ${from} → ${to}`).join(', ');
}
