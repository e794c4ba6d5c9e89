/** Console tables for the relay sections (one per section), from the driver's JSON result. */
import type { LoopResult } from './closed-loop';
import { describeRaised, type RelayBenchResults } from './profiles';
import type { HttpRoundTripRow } from './http-roundtrip';
import type { IdleRow } from './idle';
import { ratios, type Ratios, type WsRoundTripRow } from './ws-roundtrip';

type Table = (title: string, rows: Record<string, string | number>[]) => void;

const n = (value: number | undefined, digits = 0): number | string =>
  value === undefined || !Number.isFinite(value) ? '—' : Number(value.toFixed(digits));
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** The targets of issue 17, shared by the console tables and bench/report.ts. */
export const TARGETS = {
  wsThroughputToCeiling: 0.85,
  wsP99ToCeiling: 1.25,
  /** Relay CPU per round trip at most the JSON-only relay's. */
  wsCpuToJsonRelay: 1,
  httpThroughputToCeiling: 0.3,
  httpP99Ms: 50,
  /** 2 × mosquitto's 1.7 kB per idle connection (issue 17's measurement; mosquitto is not run here). */
  idleRssBytes: 3_400,
  idleHeapBytes: 2_000,
} as const;

/** One line per server of a WS row: the figures, then ratios to the ceiling and to the JSON-only relay. */
export function wsServers(row: WsRoundTripRow): { server: string; result: LoopResult; toCeiling?: Ratios; toJson?: Ratios }[] {
  return [
    { server: 'raw ws ceiling (same frames)', result: row.baseline },
    { server: 'JSON-only Node relay', result: row.jsonRelay, toCeiling: row.jsonToCeiling },
    ...(row.relayBefore ? [{ server: 'WakeLink relay before', result: row.relayBefore, toCeiling: row.beforeToCeiling, toJson: ratios(row.relayBefore, row.jsonRelay) }] : []),
    { server: 'WakeLink relay', result: row.relay, toCeiling: row.toCeiling, toJson: row.toJsonRelay },
  ];
}

/** The verdicts at 100 pairs, or '' at other sizes. */
export function wsTargetText(row: WsRoundTripRow, mark: (ok: boolean) => string): string {
  if (row.pairs !== 100) return '';
  return `rt/s ≥ ${TARGETS.wsThroughputToCeiling}×: ${mark(row.toCeiling.throughput >= TARGETS.wsThroughputToCeiling)}; ` +
    `p99 ≤ ${TARGETS.wsP99ToCeiling}×: ${mark(row.toCeiling.p99 <= TARGETS.wsP99ToCeiling)}; ` +
    `CPU/rt ≤ JSON-only: ${mark(row.toJsonRelay.cpuPerRoundTrip <= TARGETS.wsCpuToJsonRelay)}`;
}

export function httpTargetText(row: HttpRoundTripRow, mark: (ok: boolean) => string): string {
  return `rt/s ≥ ${TARGETS.httpThroughputToCeiling}× ceiling: ${mark(row.throughputRatio >= TARGETS.httpThroughputToCeiling)}; ` +
    `p99 ≤ ${TARGETS.httpP99Ms} ms: ${mark(row.relay.p99Ms <= TARGETS.httpP99Ms)}`;
}

export function idleTargetText(row: IdleRow, mark: (ok: boolean) => string): string {
  return `RSS ≤ ${TARGETS.idleRssBytes} B: ${mark(row.relay!.rssBytesPerConnection <= TARGETS.idleRssBytes)}; ` +
    `heap ≤ ${TARGETS.idleHeapBytes} B: ${mark(row.relay!.heapBytesPerConnection <= TARGETS.idleHeapBytes)}`;
}

export function printRelayTables(r: RelayBenchResults, table: Table): void {
  table(`WS round trip (L2): client → relay → device → relay → client, one outstanding request per client, ACK + reply on every server (relay limits raised: ${describeRaised(r.limitOverrides.roundTrip)})`,
    r.wsRoundTrip.flatMap((row) => wsServers(row).map(({ server, result, toCeiling, toJson }) => ({
      pairs: row.pairs, server, 'rt/s': n(result.roundTripsPerSecond), 'p50 ms': n(result.p50Ms, 2), 'p99 ms': n(result.p99Ms, 2),
      'CPU µs/rt': n(result.serverCpuMicrosPerRoundTrip, 1), 'CPU %': n(result.serverCpuShare * 100), 'loadgen %': n(result.loadCpuShare * 100),
      '÷ceil rt/s': n(toCeiling?.throughput ?? 1, 3), '÷ceil p99': n(toCeiling?.p99 ?? 1, 3), '÷ceil CPU': n(toCeiling?.cpuPerRoundTrip ?? 1, 2),
      '÷JSON rt/s': n(toJson?.throughput, 3), '÷JSON p99': n(toJson?.p99, 3), '÷JSON CPU': n(toJson?.cpuPerRoundTrip, 2),
      target: server === 'WakeLink relay' ? wsTargetText(row, mark) : '',
    }))));

  table('HTTP round trip: POST /api/push + long-poll POST /api/pull, device on WS (ratios to the raw ws ceiling at the same concurrency)',
    r.httpRoundTrip.map((row) => ({
      clients: row.clients, 'round trips/s': n(row.relay.roundTripsPerSecond), 'p50 ms': n(row.relay.p50Ms, 2), 'p99 ms': n(row.relay.p99Ms, 2),
      'relay CPU µs/rt': n(row.relay.serverCpuMicrosPerRoundTrip, 1), 'relay CPU %': n(row.relay.serverCpuShare * 100),
      'ceiling rt/s': n(row.baselineRoundTripsPerSecond), 'ratio rt/s': n(row.throughputRatio, 3), 'ratio p99': n(row.p99Ratio, 3),
      target: row.clients === 100 ? httpTargetText(row, mark) : '',
    })));

  table(`Idle capacity (L1): authenticated idle device sockets vs raw ws sockets and the floor (upgraded sockets with no WebSocket object), memory after forced GC (open-file limit ${r.idle.openFileLimit}; relay limits raised: ${describeRaised(r.limitOverrides.idle)})`,
    r.idle.rows.map((row) => row.skipped !== undefined
      ? {
        connections: row.connections, 'relay RSS B/conn': '—', 'baseline RSS B/conn': '—', 'floor RSS B/conn': '—',
        'relay heap B/conn': '—', 'baseline heap B/conn': '—', 'floor heap B/conn': '—', 'relay open s': '—', 'baseline open s': '—', 'ratio RSS': '—', target: row.skipped,
      }
      : {
        connections: row.connections,
        'relay RSS B/conn': n(row.relay!.rssBytesPerConnection), 'baseline RSS B/conn': n(row.baseline!.rssBytesPerConnection),
        'floor RSS B/conn': n(row.floor?.rssBytesPerConnection),
        'relay heap B/conn': n(row.relay!.heapBytesPerConnection), 'baseline heap B/conn': n(row.baseline!.heapBytesPerConnection),
        'floor heap B/conn': n(row.floor?.heapBytesPerConnection),
        'relay open s': n(row.relay!.openSeconds, 1), 'baseline open s': n(row.baseline!.openSeconds, 1),
        'ratio RSS': row.ratioNote ?? n(row.rssRatio, 3), target: idleTargetText(row, mark),
      }));

  const q = r.queueing;
  table('Durable queueing: commands/s acknowledged `queued` into offline-device queues (synchronous=FULL), 100 concurrent producers',
    [
      { writer: 'better-sqlite3 loop, one transaction per insert', 'commands/s': n(q.baselineInsertsPerSecond), 'p50 ms': '—', 'p99 ms': '—', ratio: 1, target: '' },
      {
        writer: `relay POST /api/push, ${q.producers} producers → ${q.devices} offline devices (cap ${q.perDeviceCap})`, 'commands/s': n(q.relay.roundTripsPerSecond), 'p50 ms': n(q.relay.p50Ms, 2), 'p99 ms': n(q.relay.p99Ms, 2),
        ratio: n(q.ratio, 3), target: `≥ 2×: ${mark(q.ratio >= 2)} (${q.acknowledged} acknowledged, ${q.rowsOnDisk} rows on disk)`,
      },
    ]);
}
