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
  /** Per-socket message budget for the round-trip relay (see probe.ts). */
  wsMessagesPerSecond: number;
  producers: number;
  queueCap: number;
  queueing: LoopTiming;
  insertBaseline: BaselineTiming;
  queueRounds: number;
  idleSizes: number[];
  idleSettleMs: number;
}

export const PROFILES: Record<'full' | 'smoke', RelayProfile> = {
  full: {
    name: 'full',
    wsPairs: [1, 10, 100],
    httpClients: [1, 10, 100],
    rounds: 3,
    roundTrip: { warmupMs: 500, durationMs: 2_000, maxRoundTrips: 1_000_000 },
    wsMessagesPerSecond: 1_000_000,
    producers: 100,
    queueCap: 10_000,
    queueing: { warmupMs: 200, durationMs: 1_500, maxRoundTrips: 500_000 },
    insertBaseline: { durationMs: 1_500, maxInserts: 500_000 },
    queueRounds: 3,
    idleSizes: [1_000, 10_000],
    idleSettleMs: 1_000,
  },
  smoke: {
    name: 'smoke',
    wsPairs: [1, 10],
    httpClients: [1, 10],
    rounds: 1,
    roundTrip: { warmupMs: 50, durationMs: 200, maxRoundTrips: 100_000 },
    wsMessagesPerSecond: 1_000_000,
    producers: 100,
    queueCap: 10_000,
    queueing: { warmupMs: 50, durationMs: 200, maxRoundTrips: 100_000 },
    insertBaseline: { durationMs: 200, maxInserts: 100_000 },
    queueRounds: 1,
    idleSizes: [100],
    idleSettleMs: 100,
  },
};

export interface RelayBenchResults {
  profile: 'full' | 'smoke';
  wsMessagesPerSecond: number;
  wsRoundTrip: WsRoundTripRow[];
  httpRoundTrip: HttpRoundTripRow[];
  idle: { openFileLimit: number; rows: IdleRow[] };
  queueing: QueueingResult;
  seconds: number;
}
