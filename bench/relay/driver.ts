/**
 * The load generator process for sections 2–5. Started by bench.ts through bash with a raised
 * open-file limit, which the relay and baseline processes it starts inherit. Talks only to
 * 127.0.0.1. Progress goes to stderr; the last stdout line is the JSON result.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS } from '../../server/limits';
import { createAccount } from './accounts';
import { benchHttpRoundTrips } from './http-roundtrip';
import { holdIdle, idleRows, openFileLimit } from './idle';
import { benchDeviceId, packetsFor } from './packets';
import { startBareUpgrade, startJsonRelay, startRawRelay, startRelay, type MeasuredProcess } from './processes';
import { benchQueueing } from './queueing';
import { idleLimits, PROFILES, type RelayBenchResults } from './profiles';
import { benchWsRoundTrips } from './ws-roundtrip';

const chosen = PROFILES[process.argv.includes('--smoke') ? 'smoke' : 'full'];
/** `--sizes=100` measures only these pair/client counts in the round-trip sections (for profiling one size). */
const sizesArg = process.argv.find((arg) => arg.startsWith('--sizes='))?.slice('--sizes='.length);
const sizes = sizesArg?.split(',').map(Number).filter((size) => Number.isSafeInteger(size) && size > 0);
/** `--rounds=5`: more alternating rounds per size (a before/after comparison on a noisy machine). */
const roundsArg = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice('--rounds='.length));
/** `--idle-sizes=1000`: the idle section's socket counts (cumulative, e.g. a heap-snapshot diff at one size). */
const idleSizesArg = process.argv.find((arg) => arg.startsWith('--idle-sizes='))?.slice('--idle-sizes='.length);
const idleSizes = idleSizesArg?.split(',').map(Number).filter((size) => Number.isSafeInteger(size) && size > 0);
const profile = {
  ...chosen,
  ...(idleSizes?.length ? { idleSizes } : {}),
  ...(sizes?.length ? { wsPairs: sizes, httpClients: sizes } : {}),
  ...(Number.isSafeInteger(roundsArg) && roundsArg > 0 ? { rounds: roundsArg } : {}),
};
/** `--sections=ws,http,queue,idle` runs a subset (for profiling one section); default all. */
const sectionsArg = process.argv.find((arg) => arg.startsWith('--sections='))?.slice('--sections='.length);
const wanted = new Set(sectionsArg ? sectionsArg.split(',') : ['ws', 'http', 'queue', 'idle']);
/**
 * BENCH_RELAY_BEFORE_MAIN: the entry of a copy of the relay before a change (e.g. `git archive` of
 * the parent commit); the WS and HTTP sections then also measure it, in the same alternating rounds.
 */
const BEFORE_MAIN = process.env.BENCH_RELAY_BEFORE_MAIN;
const log = (line: string) => process.stderr.write(`[bench relay] ${line}\n`);
const workDir = mkdtempSync(path.join(tmpdir(), 'wl-bench-relay-'));
const started: MeasuredProcess[] = [];

function dir(name: string): string {
  const full = path.join(workDir, name);
  mkdirSync(full);
  return full;
}

/** The relay's default per-device queue cap (catalogue C3: 32); the bench keeps every queue under it. */
const SHIPPED_QUEUE_CAP = DEFAULTS.queueCap;

const raisedLimits: { roundTrip: Record<string, [number, number]>; idle: Record<string, [number, number]> } = { roundTrip: {}, idle: {} };

async function track<T extends MeasuredProcess>(starting: Promise<T>): Promise<T> {
  const server = await starting;
  started.push(server);
  return server;
}

async function stop(server: MeasuredProcess): Promise<void> {
  await server.stop();
  started.splice(started.indexOf(server), 1);
}

async function roundTripSections(): Promise<Pick<RelayBenchResults, 'wsRoundTrip' | 'httpRoundTrip'>> {
  const maxPairs = Math.max(...profile.wsPairs);
  const maxClients = Math.max(...profile.httpClients);
  const wsPackets = Array.from({ length: maxPairs }, (_, i) => packetsFor(benchDeviceId('W', i), i));
  const httpPackets = Array.from({ length: maxClients }, (_, i) => packetsFor(benchDeviceId('H', i), i));
  const data = dir('roundtrip');
  const relay = await track(startRelay({
    dataDir: data,
    env: { DEVICE_LIMIT: String(maxPairs + maxClients) },
    limits: profile.roundTripLimits,
  }));
  raisedLimits.roundTrip = relay.raisedLimits;
  const baseline = await track(startRawRelay(data));
  const jsonRelay = await track(startJsonRelay(data));
  const account = await createAccount(relay.port, 'benchrt', [...wsPackets, ...httpPackets].map((p) => p.deviceId));
  let before: { relay: MeasuredProcess; token: string } | undefined;
  if (BEFORE_MAIN) {
    const beforeRelay = await track(startRelay({
      dataDir: dir('roundtrip-before'), env: { DEVICE_LIMIT: String(maxPairs + maxClients) }, limits: profile.roundTripLimits, main: BEFORE_MAIN, name: 'relay before',
    }));
    before = { relay: beforeRelay, token: (await createAccount(beforeRelay.port, 'benchrt', [...wsPackets, ...httpPackets].map((p) => p.deviceId))).token };
  }
  const wsRoundTrip = !wanted.has('ws') ? [] : await benchWsRoundTrips({
    relay, baseline, jsonRelay, before, token: account.token, packets: wsPackets, sizes: profile.wsPairs, rounds: profile.rounds, timing: profile.roundTrip, log,
  });
  await stop(jsonRelay);
  const httpRoundTrip = !wanted.has('http') ? [] : await benchHttpRoundTrips({
    relay, before, token: account.token, packets: httpPackets, sizes: profile.httpClients, rounds: profile.rounds, timing: profile.roundTrip, log,
    baselineFor: (size) => wsRoundTrip.find((row) => row.pairs === size)?.baseline,
  });
  if (before) await stop(before.relay);
  await stop(relay);
  await stop(baseline);
  return { wsRoundTrip, httpRoundTrip };
}

async function queueingSection(): Promise<RelayBenchResults['queueing']> {
  const devices = profile.producers * profile.devicesPerProducer;
  const packets = Array.from({ length: devices }, (_, i) => packetsFor(benchDeviceId('Q', i), i));
  const data = dir('queueing');
  // The shipped queue cap and TTL stay in force; only the device limit grows to hold every device.
  const relay = await track(startRelay({ dataDir: data, env: { DEVICE_LIMIT: String(devices) } }));
  const account = await createAccount(relay.port, 'benchqueue', packets.map((p) => p.deviceId));
  const result = await benchQueueing({
    relay, databaseFile: path.join(data, 'relay.db'), dataDir: data, token: account.token, packets,
    timing: profile.queueing, baseline: profile.insertBaseline, rounds: profile.queueRounds,
    producers: profile.producers, perDeviceCap: SHIPPED_QUEUE_CAP, log,
  });
  await stop(relay);
  return result;
}

async function idleSection(): Promise<RelayBenchResults['idle']> {
  const sizes = profile.idleSizes;
  const maxSize = Math.max(...sizes);
  const data = dir('idle');
  const baseline = await track(startRawRelay(data));
  const baselineSamples = await holdIdle({ server: baseline, sizes, url: (i) => `ws://127.0.0.1:${baseline.port}/pair/${i}/device`, settleMs: profile.idleSettleMs, log });
  await stop(baseline);
  const floor = await track(startBareUpgrade(data));
  const floorSamples = await holdIdle({ server: floor, sizes, url: (i) => `ws://127.0.0.1:${floor.port}/pair/${i}/device`, settleMs: profile.idleSettleMs, log });
  await stop(floor);
  const relay = await track(startRelay({ dataDir: data, env: { DEVICE_LIMIT: String(maxSize) }, limits: idleLimits(maxSize) }));
  raisedLimits.idle = relay.raisedLimits;
  const deviceIds = Array.from({ length: maxSize }, (_, i) => benchDeviceId('I', i));
  const registerStart = performance.now();
  const account = await createAccount(relay.port, 'benchidle', deviceIds);
  log(`idle: registered ${maxSize} devices in ${((performance.now() - registerStart) / 1000).toFixed(1)} s`);
  const relaySamples = await holdIdle({
    server: relay, sizes, token: account.token, url: (i) => `ws://127.0.0.1:${relay.port}/ws/${deviceIds[i]}`, settleMs: profile.idleSettleMs, log,
  });
  await stop(relay);
  return { openFileLimit: openFileLimit(), rows: idleRows(sizes, relaySamples, baselineSamples, floorSamples) };
}

try {
  const start = performance.now();
  const { wsRoundTrip, httpRoundTrip } = wanted.has('ws') || wanted.has('http') ? await roundTripSections() : { wsRoundTrip: [], httpRoundTrip: [] };
  const queueing = wanted.has('queue') ? await queueingSection() : undefined;
  const idle = wanted.has('idle') ? await idleSection() : undefined;
  // A partial (profiling) run prints what ran, flagged, instead of the full shape bench.ts expects.
  const results: RelayBenchResults | Record<string, unknown> = !queueing || !idle ? { partial: true, wsRoundTrip, httpRoundTrip, queueing, idle } : {
    profile: profile.name,
    limitOverrides: { roundTrip: raisedLimits.roundTrip, idle: raisedLimits.idle },
    wsRoundTrip,
    httpRoundTrip,
    idle,
    queueing,
    seconds: (performance.now() - start) / 1000,
  };
  process.stdout.write(JSON.stringify(results) + '\n');
} catch (error) {
  log(`FAILED: ${(error as Error).stack ?? String(error)}`);
  for (const server of started) log(`${server.name} output:\n${server.logTail()}`);
  process.exitCode = 1;
} finally {
  for (const server of [...started]) await server.stop();
  rmSync(workDir, { recursive: true, force: true });
}
