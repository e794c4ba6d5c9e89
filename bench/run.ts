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

const smoke = process.argv.includes('--smoke');

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
