/**
 * `npm run bench` (full) or `npm run bench -- --smoke` (a few seconds, run by the test suite so the
 * benchmark cannot rot). Prints tables and writes bench/results.json. Every figure comes with a
 * ratio to a baseline measured in the same run, because the machines here are noisy.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchProtocol } from './protocol/bench';
import { benchDevice } from './device/bench';
import { benchRelay } from './relay/bench';
import { printRelayTables } from './relay/tables';

const USAGE = `Usage: npm run bench [-- --smoke] [-- --json] [-- --device] [-- --cluster]

BENCH_RELAY_BEFORE_MAIN=<copy>/server/main.ts also measures a copy of the relay (the code before a
change) in the WS and HTTP sections' alternating rounds; BENCH_RELAY_NODE_ARGS adds Node flags to the relay
(e.g. "--cpu-prof --cpu-prof-dir=DIR").

Benchmarks of the protocol core, the firmware on XS and the relay, all on 127.0.0.1. Every figure
comes with a ratio to a baseline measured in the same run (the machines here are noisy).

Options:
  --smoke   every section briefly (a few seconds each, as the test suite runs it); figures are
            not meaningful and bench/results.json is left unchanged
  --json    also print the whole result as one JSON line at the end
  --device  only the firmware on the real Moddable lin build (needs $MODDABLE): memory after boot,
            with the relay connected, after 100 and 1,000 wakes, peaks, stack high-water mark,
            GC runs per wake, and wake cost with native vs plain-TS crypto; writes
            bench/device-results.json (targets: live heap after 100 wakes <= 20 KB counted as on
            an ESP8266, slots x 16 B + chunks; no growth from wake 100 to 1,000; peak stack
            <= 75 % of the ESP8266's 288 slots)
  --cluster only the scale-out figures (issue 15; needs redis-server and PostgreSQL, as
            npm run test:cluster): WS round trips/s, p50/p99 and relay CPU µs per round trip with
            client and board on different instances against the same instance, in the same run;
            idle memory per connection with Redis attached against without (targets: cross-instance
            relay CPU <= 1.5 x same-instance, p50 <= +1 ms)
  --help    print this and run nothing

One relay section alone (prints its JSON result, leaves bench/results.json unchanged):
  node --import tsx bench/relay/driver.ts --sections=idle [--idle-sizes=1000,10000]
  (--sections takes any of ws,http,queue,idle; --sizes=100 and --rounds=N for ws/http;
  BENCH_IDLE_SNAPSHOT_DIR=DIR also writes heap snapshots of each idle server, empty and at each
  size, for \`npx tsx bench/relay/heap-summary.ts after before N\`; BENCH_RELAY_MAIN=<copy>/server/main.ts
  measures another copy of the relay). It keeps the shell's open-file limit: raise it first
  (ulimit -n 20000) for 10,000 idle sockets.

Without --smoke the full run takes a few minutes and overwrites bench/results.json
(\`npx tsx bench/report.ts\` turns it into the tables of bench/RESULTS.md).

Target lines ("target" column, and the Targets table of bench/report.ts), from the reliability
catalogue (L1, L2) and issue 17, each a ratio to a reference measured in the same run:
  rt/s >= 0.85x      WS round trips per second through the relay, at 100 client/device pairs, at
                     least 0.85 x the same-frame raw \`ws\` ceiling (bench/relay/raw-relay.ts: it
                     forwards the same frames and sends the same ACK, so it makes as many writes)
  p99 <= 1.25x       the 99th-percentile WS round-trip latency at 100 pairs at most 1.25 x the ceiling's
  CPU/rt <= JSON     relay CPU per WS round trip at most the JSON-only Node relay's
                     (bench/relay/json-relay.ts: parse, validate, stringify, forward, ACK; nothing else)
  HTTP >= 0.3x       push + long-poll pull round trips/s at 100 clients at least 0.3 x the WS
                     ceiling, and their p99 <= 50 ms
  RSS <= 3.4 kB      resident memory per idle authenticated device socket (2 x mosquitto's 1.7 kB
                     from issue 17; mosquitto is not run here), at the largest size the open-file
                     limit allows (10,000 wanted), and JS heap per socket <= 2 kB; shown next to raw
                     \`ws\` sockets and the floor (bench/relay/bare-upgrade.ts: upgraded sockets with
                     no WebSocket object on them, what any Node WebSocket server starts from)
  queueing >= 2x     durable queueing: acknowledged commands per second to offline devices at least
                     2 x a one-transaction-per-insert better-sqlite3 loop on the same disk
Each is marked met or missed; the device side (XS compute per wake request) has no target.

Relay limits the load generator would hit by design (per-socket message rate) are raised through
the relay's own environment variables (README, configuration), reported with each table.`;

const KNOWN = new Set(['--smoke', '--json', '--device', '--cluster', '--help', '-h']);
const unknown = process.argv.slice(2).filter((arg) => !KNOWN.has(arg));
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (unknown.length > 0) {
  // A typo must not start the full run and overwrite the results.
  console.error(`bench: unknown option ${unknown.join(' ')}\n\n${USAGE}`);
  process.exit(2);
}
const smoke = process.argv.includes('--smoke');

if (process.argv.includes('--cluster')) {
  // Several relay instances on Redis and PostgreSQL; the other sections are left alone.
  const { benchCluster } = await import('./cluster/bench');
  await benchCluster(smoke);
  process.exit(0);
}

if (process.argv.includes('--device')) {
  // The real Moddable lin build only (needs $MODDABLE); the other sections are left alone.
  const { printModdableDevice } = await import('./device/moddable-report');
  await printModdableDevice(smoke);
  process.exit(0);
}

function table(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

const fmt = (n: number, digits = 0) => Number(n.toFixed(digits));

const protocol = await benchProtocol(smoke);
table(
  'Protocol core: sealPacket + openPacket pairs per second (typical wake command)',
  protocol.map((r) => ({ engine: r.engine, 'pairs/s': fmt(r.pairsPerSecond), 'ratio to node:crypto': fmt(r.ratioToNodeCrypto, 3) })),
);

const device = await benchDevice(smoke);
table('Device side: XS compute meter per LAN `wake` request, firmware logic end to end (plain-TS crypto, ESP8266 profile)', [
  { measure: 'one wake request (frame, open, freshness, dispatch, WoL, seal)', 'XS compute': fmt(device.computePerRequest) },
  { measure: 'one bare sealPacket + openPacket pair, for scale', 'XS compute': fmt(device.sealOpenComputePerPair) },
  { measure: 'ratio request ÷ seal+open pair', 'XS compute': fmt(device.ratioToSealOpen, 3) },
]);

const relay = await benchRelay(smoke);
printRelayTables(relay, table);

const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: fmt(os.totalmem() / 2 ** 30, 1), node: process.version },
  smoke,
  protocol,
  device,
  relay,
};
if (!smoke) writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log(smoke ? '\nsmoke run: results.json left unchanged' : '\nwrote bench/results.json');
// Machine-readable last line for the smoke test.
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
