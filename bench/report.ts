/**
 * `npx tsx bench/report.ts [results.json]` prints the figures of a full run as Markdown tables,
 * the form bench/RESULTS.md quotes them in, so no figure is copied by hand.
 */
import { readFileSync } from 'node:fs';
import type { DeviceResult } from './device/bench';
import type { ProtocolRow } from './protocol/bench';
import { describeRaised, type RelayBenchResults } from './relay/profiles';

interface Results {
  date: string;
  machine: { cpus: number; model: string; memoryGiB: number; node: string };
  smoke: boolean;
  protocol: ProtocolRow[];
  device: DeviceResult;
  relay: RelayBenchResults;
}

const file = process.argv[2] ?? new URL('./results.json', import.meta.url);
const r = JSON.parse(readFileSync(file, 'utf8')) as Results;

const f = (value: number | undefined, digits = 0): string =>
  value === undefined || value === null || !Number.isFinite(value) ? '—' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? '**met**' : '**missed**');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const out: string[] = [];
out.push(`Run of ${r.date} on ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}${r.smoke ? ' (SMOKE run: not for quoting)' : ''}.`);

out.push('\n### Protocol core (seal + open pairs/s)\n');
out.push(table(['engine', 'pairs/s', 'ratio to node:crypto'], r.protocol.map((p) => [p.engine, f(p.pairsPerSecond), f(p.ratioToNodeCrypto, 3)])));

const d = r.device;
out.push('\n### 6. Device side: XS compute meter per LAN `wake` request\n');
out.push(table(['measure', 'XS compute units'], [
  [`one \`wake\` request end to end (mean of ${d.requests}: frame, open, freshness, dispatch, WoL, seal)`, f(d.computePerRequest)],
  ['one bare sealPacket + openPacket pair', f(d.sealOpenComputePerPair)],
  ['ratio request ÷ seal+open pair', f(d.ratioToSealOpen, 3)],
]));

out.push(`\n### 2. WS round trip (relay limits raised for this section: ${describeRaised(r.relay.limitOverrides.roundTrip)})\n`);
out.push(table(['pairs', 'server', 'round trips/s', 'p50 ms', 'p99 ms', 'server CPU µs/rt', 'server CPU %', 'load gen CPU %', 'rt/s ratio', 'p99 ratio', 'CPU/rt ratio', 'target (100 pairs)'],
  r.relay.wsRoundTrip.flatMap((row) => [
    [String(row.pairs), 'raw ws baseline', f(row.baseline.roundTripsPerSecond), f(row.baseline.p50Ms, 2), f(row.baseline.p99Ms, 2),
      f(row.baseline.serverCpuMicrosPerRoundTrip, 1), f(row.baseline.serverCpuShare * 100), f(row.baseline.loadCpuShare * 100), '1', '1', '1', ''],
    [String(row.pairs), 'WakeLink relay', f(row.relay.roundTripsPerSecond), f(row.relay.p50Ms, 2), f(row.relay.p99Ms, 2),
      f(row.relay.serverCpuMicrosPerRoundTrip, 1), f(row.relay.serverCpuShare * 100), f(row.relay.loadCpuShare * 100),
      f(row.throughputRatio, 3), f(row.p99Ratio, 3), f(row.relay.serverCpuMicrosPerRoundTrip / row.baseline.serverCpuMicrosPerRoundTrip, 2),
      row.pairs === 100 ? `rt/s ≥ 0.85×: ${verdict(row.throughputRatio >= 0.85)}; p99 ≤ 1.25×: ${verdict(row.p99Ratio <= 1.25)}` : ''],
  ])));

out.push('\n### 3. HTTP round trip (push + long-poll pull, device on WS)\n');
out.push(table(['clients', 'round trips/s', 'p50 ms', 'p99 ms', 'relay CPU µs/rt', 'relay CPU %', 'baseline rt/s', 'rt/s ratio', 'p99 ratio'],
  r.relay.httpRoundTrip.map((row) => [String(row.clients), f(row.relay.roundTripsPerSecond), f(row.relay.p50Ms, 2), f(row.relay.p99Ms, 2),
    f(row.relay.serverCpuMicrosPerRoundTrip, 1), f(row.relay.serverCpuShare * 100), f(row.baselineRoundTripsPerSecond), f(row.throughputRatio, 3), f(row.p99Ratio, 3)])));

out.push(`\n### 4. Idle capacity (open-file limit ${r.relay.idle.openFileLimit}; relay limits raised: ${describeRaised(r.relay.limitOverrides.idle)})\n`);
out.push(table(['connections', 'relay RSS B/conn', 'baseline RSS B/conn', 'relay heap B/conn', 'baseline heap B/conn', 'relay open s', 'baseline open s', 'RSS ratio', 'target ≤ 1.2×'],
  r.relay.idle.rows.map((row) => row.skipped !== undefined
    ? [String(row.connections), '—', '—', '—', '—', '—', '—', '—', row.skipped]
    : [String(row.connections), f(row.relay!.rssBytesPerConnection), f(row.baseline!.rssBytesPerConnection), f(row.relay!.heapBytesPerConnection),
      f(row.baseline!.heapBytesPerConnection), f(row.relay!.openSeconds, 1), f(row.baseline!.openSeconds, 1), f(row.rssRatio, 3), verdict((row.rssRatio ?? Infinity) <= 1.2)])));

const q = r.relay.queueing;
out.push('\n### 5. Durable queueing (100 producers, synchronous=FULL)\n');
out.push(table(['writer', 'commands/s', 'p50 ms', 'p99 ms', 'relay CPU µs/cmd', 'ratio', 'target ≥ 2×'], [
  ['better-sqlite3 loop, one transaction per insert (median of rounds)', f(q.baselineInsertsPerSecond), '—', '—', '—', '1', ''],
  [`relay \`POST /api/push\`, ${q.producers} producers → ${q.devices} offline devices, shipped cap ${q.perDeviceCap} (median round)`, f(q.relay.roundTripsPerSecond), f(q.relay.p50Ms, 2), f(q.relay.p99Ms, 2),
    f(q.relay.serverCpuMicrosPerRoundTrip, 1), f(q.ratio, 3), verdict(q.ratio >= 2)],
]));
out.push(`\nThe ratio is the median of the per-round ratios (each relay round against the baseline round just before it). ` +
  `Rounds (baseline inserts/s → relay commands/s): ${q.rounds.map((x) => `${f(x.baselineInsertsPerSecond)} → ${f(x.relayCommandsPerSecond)}`).join('; ')}. ` +
  `${f(q.acknowledged)} commands acknowledged \`queued\`, ${f(q.rowsOnDisk)} rows on disk afterwards.`);
out.push(`\nRelay sections took ${f(r.relay.seconds)} s.`);

const ws100 = r.relay.wsRoundTrip.find((row) => row.pairs === 100);
const idleMax = r.relay.idle.rows.filter((row) => row.skipped === undefined).at(-1);
out.push('\n### Targets\n');
out.push(table(['target', 'measured', 'verdict'], [
  ['WS round trips/s at 100 pairs ≥ 0.85 × baseline', ws100 ? `${f(ws100.throughputRatio, 3)} ×` : 'not run', ws100 ? verdict(ws100.throughputRatio >= 0.85) : '—'],
  ['WS p99 at 100 pairs ≤ 1.25 × baseline', ws100 ? `${f(ws100.p99Ratio, 3)} ×` : 'not run', ws100 ? verdict(ws100.p99Ratio <= 1.25) : '—'],
  [`idle RSS per connection ≤ 1.2 × raw ws (largest size held: ${idleMax?.connections ?? 'none'})`, idleMax ? `${f(idleMax.rssRatio, 3)} ×` : 'skipped', idleMax ? verdict((idleMax.rssRatio ?? Infinity) <= 1.2) : '—'],
  ['durable queueing ≥ 2 × one-transaction-per-insert loop', `${f(q.ratio, 3)} ×`, verdict(q.ratio >= 2)],
  ['device side: deterministic XS compute per wake request', `${f(d.computePerRequest)} units`, 'reported (no target)'],
]));
console.log(out.join('\n'));
