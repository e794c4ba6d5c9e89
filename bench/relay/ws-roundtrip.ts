/**
 * Section 2 (catalogue L2 at full speed): WS round trips client → relay → device → relay → client,
 * authenticated, owned devices, v1.0-sized packets, one outstanding request per client, against
 * the raw `ws` baseline at the same number of pairs. Rounds alternate baseline/relay so a noisy
 * neighbour hits both alike; the median round is kept.
 */
import { closedLoop, type LoopResult, type LoopTiming } from './closed-loop';
import type { DevicePackets } from './packets';
import type { MeasuredProcess } from './processes';
import { medianRound } from './stats';
import { openPairs } from './ws-pairs';

export interface WsRoundTripRow {
  pairs: number;
  baseline: LoopResult;
  relay: LoopResult;
  /** relay round trips/s ÷ baseline round trips/s (target ≥ 0.85 at 100 pairs). */
  throughputRatio: number;
  /** relay p99 ÷ baseline p99 (target ≤ 1.25 at 100 pairs). */
  p99Ratio: number;
}

export async function benchWsRoundTrips(opts: {
  relay: MeasuredProcess;
  baseline: MeasuredProcess;
  token: string;
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
    const rawPairs = await openPairs(opts.baseline.port, packets);
    const relayPairs = await openPairs(opts.relay.port, packets, opts.token);
    const baselineRounds: LoopResult[] = [];
    const relayRounds: LoopResult[] = [];
    try {
      for (let round = 0; round < opts.rounds; round++) {
        baselineRounds.push(await closedLoop(rawPairs.lanes, opts.baseline, opts.timing));
        relayRounds.push(await closedLoop(relayPairs.lanes, opts.relay, opts.timing));
      }
    } finally {
      rawPairs.close();
      relayPairs.close();
    }
    const baseline = medianRound(baselineRounds);
    const relay = medianRound(relayRounds);
    rows.push({
      pairs: size,
      baseline,
      relay,
      throughputRatio: relay.roundTripsPerSecond / baseline.roundTripsPerSecond,
      p99Ratio: relay.p99Ms / baseline.p99Ms,
    });
    opts.log(`ws round trip, ${size} pairs: baseline ${baseline.roundTripsPerSecond.toFixed(0)}/s, relay ${relay.roundTripsPerSecond.toFixed(0)}/s`);
  }
  return rows;
}
