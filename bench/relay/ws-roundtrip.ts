/**
 * Section 2 (catalogue L2 at full speed): WS round trips client → relay → device → relay → client,
 * authenticated, owned devices, v1.0-sized packets, one outstanding request per client, against
 * two references at the same number of pairs: the same-frame raw `ws` ceiling (raw-relay.ts) and
 * the JSON-only Node relay (json-relay.ts). Rounds alternate ceiling / JSON-only / relay (and the
 * `before` relay when one is given, to measure a change in one run) so a noisy neighbour hits all
 * alike; the median round of each is kept. Odd rounds go in reverse order.
 */
import { closedLoop, type LoopResult, type LoopTiming } from './closed-loop';
import type { DevicePackets } from './packets';
import type { MeasuredProcess } from './processes';
import { medianRound } from './stats';
import { openPairs, type PairSet } from './ws-pairs';

/** One server against a reference: round trips/s, p99 and relay CPU per round trip as ratios. */
export interface Ratios {
  throughput: number;
  p99: number;
  cpuPerRoundTrip: number;
}

export interface WsRoundTripRow {
  pairs: number;
  /** The same-frame raw `ws` ceiling. */
  baseline: LoopResult;
  /** The JSON-only Node relay. */
  jsonRelay: LoopResult;
  relay: LoopResult;
  /** The relay before a change (BENCH_RELAY_BEFORE_MAIN), when measured. */
  relayBefore?: LoopResult;
  /** relay round trips/s ÷ ceiling's (target ≥ 0.85 at 100 pairs). */
  throughputRatio: number;
  /** relay p99 ÷ ceiling's (target ≤ 1.25 at 100 pairs). */
  p99Ratio: number;
  /** relay ÷ ceiling, all three measures. */
  toCeiling: Ratios;
  /** relay ÷ JSON-only relay (target: CPU per round trip ≤ 1 at 100 pairs). */
  toJsonRelay: Ratios;
  /** JSON-only relay ÷ ceiling, for scale. */
  jsonToCeiling: Ratios;
  /**
   * The same comparisons as medians of per-round ratios (each relay round against the reference's
   * round of the same pass): steadier than a ratio of two median rounds when the machine's speed
   * drifts between rounds. Reported next to the targets, which keep the ratio of medians.
   */
  pairedToCeiling: Ratios;
  pairedToJsonRelay: Ratios;
  /** Round trips/s of every round, in the order run, for the record. */
  roundsPerSecond: { ceiling: number[]; jsonRelay: number[]; relay: number[] };
  /** relay before the change ÷ ceiling, when measured. */
  beforeToCeiling?: Ratios;
  /**
   * relay ÷ relay before, the median of the per-round ratios (each round of the changed relay
   * against the round of the old one just before it), when measured.
   */
  afterToBefore?: Ratios;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median of per-round ratios a[i] ÷ b[i]: a noisy neighbour moves both rounds of a pair alike. */
export function pairedRatios(a: LoopResult[], b: LoopResult[]): Ratios {
  const per = a.map((round, i) => ratios(round, b[i]!));
  return {
    throughput: medianOf(per.map((r) => r.throughput)),
    p99: medianOf(per.map((r) => r.p99)),
    cpuPerRoundTrip: medianOf(per.map((r) => r.cpuPerRoundTrip)),
  };
}

export function ratios(a: LoopResult, b: LoopResult): Ratios {
  return {
    throughput: a.roundTripsPerSecond / b.roundTripsPerSecond,
    p99: a.p99Ms / b.p99Ms,
    cpuPerRoundTrip: a.serverCpuMicrosPerRoundTrip / b.serverCpuMicrosPerRoundTrip,
  };
}

interface Contender {
  server: MeasuredProcess;
  token?: string;
  pairs?: PairSet;
  rounds: LoopResult[];
}

export async function benchWsRoundTrips(opts: {
  relay: MeasuredProcess;
  baseline: MeasuredProcess;
  jsonRelay: MeasuredProcess;
  token: string;
  /** A second relay (the code before a change) with its own account's token. */
  before?: { relay: MeasuredProcess; token: string };
  packets: DevicePackets[];
  sizes: number[];
  rounds: number;
  timing: LoopTiming;
  log: (line: string) => void;
}): Promise<WsRoundTripRow[]> {
  const rows: WsRoundTripRow[] = [];
  for (const size of opts.sizes) {
    const packets = opts.packets.slice(0, size);
    if (packets.length < size) throw new Error(`only ${packets.length} devices prepared for ${size} pairs`);
    const raw: Contender = { server: opts.baseline, rounds: [] };
    const json: Contender = { server: opts.jsonRelay, rounds: [] };
    const relay: Contender = { server: opts.relay, token: opts.token, rounds: [] };
    const before: Contender | undefined = opts.before && { server: opts.before.relay, token: opts.before.token, rounds: [] };
    const all = [raw, json, ...(before ? [before] : []), relay];
    try {
      for (const c of all) c.pairs = await openPairs(c.server.port, packets, c.token);
      for (let round = 0; round < opts.rounds; round++) {
        // Odd rounds run in reverse order, so no server always follows the same one (a relay's
        // background writes from its own round would otherwise always land on the next server's).
        for (const c of round % 2 === 0 ? all : [...all].reverse()) c.rounds.push(await closedLoop(c.pairs!.lanes, c.server, opts.timing));
      }
    } finally {
      for (const c of all) c.pairs?.close();
    }
    const [baseline, jsonRelay, relayResult] = [raw, json, relay].map((c) => medianRound(c.rounds)) as [LoopResult, LoopResult, LoopResult];
    const relayBefore = before && medianRound(before.rounds);
    const toCeiling = ratios(relayResult, baseline);
    rows.push({
      pairs: size,
      baseline,
      jsonRelay,
      relay: relayResult,
      ...(relayBefore ? { relayBefore, beforeToCeiling: ratios(relayBefore, baseline), afterToBefore: pairedRatios(relay.rounds, before!.rounds) } : {}),
      throughputRatio: toCeiling.throughput,
      p99Ratio: toCeiling.p99,
      toCeiling,
      toJsonRelay: ratios(relayResult, jsonRelay),
      jsonToCeiling: ratios(jsonRelay, baseline),
      pairedToCeiling: pairedRatios(relay.rounds, raw.rounds),
      pairedToJsonRelay: pairedRatios(relay.rounds, json.rounds),
      roundsPerSecond: {
        ceiling: raw.rounds.map((r) => Math.round(r.roundTripsPerSecond)),
        jsonRelay: json.rounds.map((r) => Math.round(r.roundTripsPerSecond)),
        relay: relay.rounds.map((r) => Math.round(r.roundTripsPerSecond)),
      },
    });
    opts.log(`ws round trip, ${size} pairs: ceiling ${baseline.roundTripsPerSecond.toFixed(0)}/s, JSON-only ${jsonRelay.roundTripsPerSecond.toFixed(0)}/s, ` +
      `${relayBefore ? `relay before ${relayBefore.roundTripsPerSecond.toFixed(0)}/s, ` : ''}relay ${relayResult.roundTripsPerSecond.toFixed(0)}/s`);
  }
  return rows;
}
