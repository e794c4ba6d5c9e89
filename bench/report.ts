/**
 * `npx tsx bench/report.ts [results.json]` prints the figures of a full run as Markdown tables,
 * the form bench/RESULTS.md quotes them in, so no figure is copied by hand.
 */
import { readFileSync } from 'node:fs';
import type { DeviceResult } from './device/bench';
import type { ProtocolRow } from './protocol/bench';
import { describeRaised, type RelayBenchResults } from './relay/profiles';
import { httpTargetText, idleTargetText, TARGETS, wsServers, wsTargetText } from './relay/tables';

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

out.push(`\n### 2. WS round trip (ACK + reply on every server; relay limits raised for this section: ${describeRaised(r.relay.limitOverrides.roundTrip)})\n`);
out.push(table(['pairs', 'server', 'round trips/s', 'p50 ms', 'p99 ms', 'server CPU µs/rt', 'server CPU %', 'load gen CPU %',
  'rt/s ÷ ceiling', 'p99 ÷ ceiling', 'CPU/rt ÷ ceiling', 'rt/s ÷ JSON-only', 'p99 ÷ JSON-only', 'CPU/rt ÷ JSON-only', 'target (100 pairs)'],
  r.relay.wsRoundTrip.flatMap((row) => wsServers(row).map(({ server, result, toCeiling, toJson }) => [
    String(row.pairs), server, f(result.roundTripsPerSecond), f(result.p50Ms, 2), f(result.p99Ms, 2),
    f(result.serverCpuMicrosPerRoundTrip, 1), f(result.serverCpuShare * 100), f(result.loadCpuShare * 100),
    toCeiling ? f(toCeiling.throughput, 3) : '1', toCeiling ? f(toCeiling.p99, 3) : '1', toCeiling ? f(toCeiling.cpuPerRoundTrip, 2) : '1',
    f(toJson?.throughput, 3), f(toJson?.p99, 3), f(toJson?.cpuPerRoundTrip, 2),
    server === 'WakeLink relay' ? wsTargetText(row, verdict) : '',
  ]))));

for (const row of r.relay.wsRoundTrip.filter((w) => w.roundsPerSecond)) {
  const { ceiling, jsonRelay, relay } = row.roundsPerSecond;
  out.push(`\n${row.pairs} pairs, every round (rt/s; ceiling / JSON-only / relay): ${ceiling.map((c, i) => `${f(c)} / ${f(jsonRelay[i])} / ${f(relay[i])}`).join('; ')}. ` +
    `Medians of per-round ratios: relay ÷ ceiling rt/s ${f(row.pairedToCeiling.throughput, 3)}, p99 ${f(row.pairedToCeiling.p99, 3)}; relay ÷ JSON-only CPU/rt ${f(row.pairedToJsonRelay.cpuPerRoundTrip, 3)}.`);
}

out.push('\n### 3. HTTP round trip (push + long-poll pull, device on WS)\n');
out.push(table(['clients', 'round trips/s', 'p50 ms', 'p99 ms', 'relay CPU µs/rt', 'relay CPU %', 'WS ceiling rt/s', 'rt/s ratio', 'p99 ratio', 'target (100 clients)'],
  r.relay.httpRoundTrip.map((row) => [String(row.clients), f(row.relay.roundTripsPerSecond), f(row.relay.p50Ms, 2), f(row.relay.p99Ms, 2),
    f(row.relay.serverCpuMicrosPerRoundTrip, 1), f(row.relay.serverCpuShare * 100), f(row.baselineRoundTripsPerSecond), f(row.throughputRatio, 3), f(row.p99Ratio, 3),
    row.clients === 100 ? httpTargetText(row, verdict) : ''])));

out.push(`\n### 4. Idle capacity (open-file limit ${r.relay.idle.openFileLimit}; relay limits raised: ${describeRaised(r.relay.limitOverrides.idle)})\n`);
out.push(table(['connections', 'relay RSS B/conn', 'raw ws RSS B/conn', 'floor RSS B/conn', 'relay heap B/conn', 'raw ws heap B/conn', 'floor heap B/conn',
  'relay open s', 'raw ws open s', 'RSS ratio', 'target'],
  r.relay.idle.rows.map((row) => row.skipped !== undefined
    ? [String(row.connections), '—', '—', '—', '—', '—', '—', '—', '—', '—', row.skipped]
    : [String(row.connections), f(row.relay!.rssBytesPerConnection), f(row.baseline!.rssBytesPerConnection), f(row.floor?.rssBytesPerConnection),
      f(row.relay!.heapBytesPerConnection), f(row.baseline!.heapBytesPerConnection), f(row.floor?.heapBytesPerConnection),
      f(row.relay!.openSeconds, 1), f(row.baseline!.openSeconds, 1), row.ratioNote ?? f(row.rssRatio, 3), idleTargetText(row, verdict)])));

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
const http100 = r.relay.httpRoundTrip.find((row) => row.clients === 100);
const rows: string[][] = [];
if (ws100) {
  rows.push(
    [`WS round trips/s at 100 pairs ≥ ${TARGETS.wsThroughputToCeiling} × same-frame raw ceiling`, `${f(ws100.toCeiling.throughput, 3)} × (per-round median ${f(ws100.pairedToCeiling?.throughput, 3)} ×)`, verdict(ws100.toCeiling.throughput >= TARGETS.wsThroughputToCeiling)],
    [`WS p99 at 100 pairs ≤ ${TARGETS.wsP99ToCeiling} × ceiling`, `${f(ws100.toCeiling.p99, 3)} × (per-round median ${f(ws100.pairedToCeiling?.p99, 3)} ×)`, verdict(ws100.toCeiling.p99 <= TARGETS.wsP99ToCeiling)],
    ['relay CPU per WS round trip at 100 pairs ≤ the JSON-only relay\'s', `${f(ws100.relay.serverCpuMicrosPerRoundTrip, 1)} vs ${f(ws100.jsonRelay.serverCpuMicrosPerRoundTrip, 1)} µs (${f(ws100.toJsonRelay.cpuPerRoundTrip, 2)} ×; per-round median ${f(ws100.pairedToJsonRelay?.cpuPerRoundTrip, 2)} ×)`, verdict(ws100.toJsonRelay.cpuPerRoundTrip <= TARGETS.wsCpuToJsonRelay)],
  );
} else rows.push(['WS round trip at 100 pairs', 'not run', '—']);
if (http100) {
  rows.push(
    [`HTTP push + pull at 100 clients ≥ ${TARGETS.httpThroughputToCeiling} × WS ceiling`, `${f(http100.throughputRatio, 3)} ×`, verdict(http100.throughputRatio >= TARGETS.httpThroughputToCeiling)],
    [`HTTP p99 at 100 clients ≤ ${TARGETS.httpP99Ms} ms`, `${f(http100.relay.p99Ms, 1)} ms`, verdict(http100.relay.p99Ms <= TARGETS.httpP99Ms)],
  );
} else rows.push(['HTTP round trip at 100 clients', 'not run', '—']);
if (idleMax) {
  rows.push(
    [`idle RSS per authenticated device socket ≤ ${f(TARGETS.idleRssBytes)} B (2 × mosquitto's 1.7 kB; largest size held: ${idleMax.connections})`, `${f(idleMax.relay!.rssBytesPerConnection)} B (raw ws ${f(idleMax.baseline!.rssBytesPerConnection)} B, ${f(idleMax.rssRatio, 3)} ×; floor ${f(idleMax.floor?.rssBytesPerConnection)} B)`, verdict(idleMax.relay!.rssBytesPerConnection <= TARGETS.idleRssBytes)],
    [`idle JS heap per socket ≤ ${f(TARGETS.idleHeapBytes)} B (heapUsed growth ÷ sockets)`, `${f(idleMax.relay!.heapBytesPerConnection)} B (raw ws ${f(idleMax.baseline!.heapBytesPerConnection)} B; floor ${f(idleMax.floor?.heapBytesPerConnection)} B)`, verdict(idleMax.relay!.heapBytesPerConnection <= TARGETS.idleHeapBytes)],
  );
} else rows.push(['idle sockets', 'skipped', '—']);
rows.push(
  ['durable queueing ≥ 2 × one-transaction-per-insert loop', `${f(q.ratio, 3)} ×`, verdict(q.ratio >= 2)],
  ['device side: deterministic XS compute per wake request', `${f(d.computePerRequest)} units`, 'reported (no target)'],
);
out.push(table(['target', 'measured', 'verdict'], rows));
console.log(out.join('\n'));
