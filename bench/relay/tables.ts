/** Console tables for the relay sections (one per section), from the driver's JSON result. */
import { describeRaised, type RelayBenchResults } from './profiles';

type Table = (title: string, rows: Record<string, string | number>[]) => void;

const n = (value: number | undefined, digits = 0): number | string =>
  value === undefined || !Number.isFinite(value) ? '—' : Number(value.toFixed(digits));
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

export function printRelayTables(r: RelayBenchResults, table: Table): void {
  table(`WS round trip (L2): client → relay → device → relay → client, one outstanding request per client (relay limits raised: ${describeRaised(r.limitOverrides.roundTrip)})`,
    r.wsRoundTrip.flatMap((row) => [
      {
        pairs: row.pairs, server: 'raw ws baseline', 'round trips/s': n(row.baseline.roundTripsPerSecond), 'p50 ms': n(row.baseline.p50Ms, 2), 'p99 ms': n(row.baseline.p99Ms, 2),
        'server CPU µs/rt': n(row.baseline.serverCpuMicrosPerRoundTrip, 1), 'server CPU %': n(row.baseline.serverCpuShare * 100), 'loadgen CPU %': n(row.baseline.loadCpuShare * 100),
        'ratio rt/s': 1, 'ratio p99': 1, 'ratio CPU/rt': 1, target: '',
      },
      {
        pairs: row.pairs, server: 'WakeLink relay', 'round trips/s': n(row.relay.roundTripsPerSecond), 'p50 ms': n(row.relay.p50Ms, 2), 'p99 ms': n(row.relay.p99Ms, 2),
        'server CPU µs/rt': n(row.relay.serverCpuMicrosPerRoundTrip, 1), 'server CPU %': n(row.relay.serverCpuShare * 100), 'loadgen CPU %': n(row.relay.loadCpuShare * 100),
        'ratio rt/s': n(row.throughputRatio, 3), 'ratio p99': n(row.p99Ratio, 3),
        'ratio CPU/rt': n(row.relay.serverCpuMicrosPerRoundTrip / row.baseline.serverCpuMicrosPerRoundTrip, 2),
        target: row.pairs === 100 ? `rt/s ≥ 0.85×: ${mark(row.throughputRatio >= 0.85)}; p99 ≤ 1.25×: ${mark(row.p99Ratio <= 1.25)}` : '',
      },
    ]));

  table('HTTP round trip: POST /api/push + long-poll POST /api/pull, device on WS (ratios to the raw ws baseline at the same concurrency)',
    r.httpRoundTrip.map((row) => ({
      clients: row.clients, 'round trips/s': n(row.relay.roundTripsPerSecond), 'p50 ms': n(row.relay.p50Ms, 2), 'p99 ms': n(row.relay.p99Ms, 2),
      'relay CPU µs/rt': n(row.relay.serverCpuMicrosPerRoundTrip, 1), 'relay CPU %': n(row.relay.serverCpuShare * 100),
      'baseline rt/s': n(row.baselineRoundTripsPerSecond), 'ratio rt/s': n(row.throughputRatio, 3), 'ratio p99': n(row.p99Ratio, 3),
    })));

  table(`Idle capacity (L1): authenticated idle device sockets vs raw ws sockets, memory after forced GC (open-file limit ${r.idle.openFileLimit}; relay limits raised: ${describeRaised(r.limitOverrides.idle)})`,
    r.idle.rows.map((row) => row.skipped !== undefined
      ? {
        connections: row.connections, 'relay RSS B/conn': '—', 'baseline RSS B/conn': '—', 'relay heap B/conn': '—', 'baseline heap B/conn': '—',
        'relay open s': '—', 'baseline open s': '—', 'ratio RSS': '—', target: row.skipped,
      }
      : {
        connections: row.connections,
        'relay RSS B/conn': n(row.relay!.rssBytesPerConnection), 'baseline RSS B/conn': n(row.baseline!.rssBytesPerConnection),
        'relay heap B/conn': n(row.relay!.heapBytesPerConnection), 'baseline heap B/conn': n(row.baseline!.heapBytesPerConnection),
        'relay open s': n(row.relay!.openSeconds, 1), 'baseline open s': n(row.baseline!.openSeconds, 1),
        'ratio RSS': n(row.rssRatio, 3), target: `≤ 1.2×: ${mark((row.rssRatio ?? Infinity) <= 1.2)}`,
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
