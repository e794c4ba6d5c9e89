import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceResult } from '../../bench/device/bench';
import type { RelayBenchResults } from '../../bench/relay/profiles';

const root = path.resolve(__dirname, '../..');

interface SmokeResults {
  protocol: { engine: string; pairsPerSecond: number; ratioToNodeCrypto: number }[];
  device: DeviceResult;
  relay: RelayBenchResults;
}

function positive(value: number, label: string): void {
  expect(Number.isFinite(value), label).toBe(true);
  expect(value, label).toBeGreaterThan(0);
}

const tsxCli = path.join(root, 'node_modules/tsx/dist/cli.mjs');

describe('npm run bench -- --help', () => {
  it('prints usage (--smoke, the target lines) and runs nothing; an unknown option runs nothing either', () => {
    const resultsFile = path.join(root, 'bench/results.json');
    const before = existsSync(resultsFile) ? statSync(resultsFile).mtimeMs : null;
    const started = Date.now();
    const help = spawnSync(process.execPath, [tsxCli, 'bench/run.ts', '--help'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run bench/);
    for (const line of ['--smoke', 'rt/s >= 0.85x', 'p99 <= 1.25x', 'CPU/rt <= JSON', 'HTTP >= 0.3x', 'RSS <= 3.4 kB', 'queueing >= 2x']) expect(help.stdout).toContain(line);
    expect(help.stdout).not.toContain('Protocol core:'); // no benchmark table was printed
    expect(Date.now() - started).toBeLessThan(20_000);
    const typo = spawnSync(process.execPath, [tsxCli, 'bench/run.ts', '--smok'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('unknown option --smok');
    expect(existsSync(resultsFile) ? statSync(resultsFile).mtimeMs : null).toBe(before);
  });
});

// Keeps `npm run bench` from rotting: the smoke mode runs every benchmark briefly.
describe('benchmark smoke run', () => {
  let out = '';
  let results: SmokeResults;

  it('runs every section and ends with the JSON result line', () => {
    out = execFileSync(process.execPath, [tsxCli, 'bench/run.ts', '--smoke', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 150_000,
    });
    const lines = out.trim().split('\n');
    results = JSON.parse(lines.at(-1)!) as SmokeResults;
    expect(Object.keys(results)).toEqual(expect.arrayContaining(['protocol', 'device', 'relay']));
  }, 180_000);

  it('prints the protocol table with a figure and a ratio for every engine', () => {
    expect(results.protocol.map((r) => r.engine)).toEqual([
      'Node, node:crypto backend', 'Node, plain-TS backend', 'XS (xsnap), plain-TS backend',
    ]);
    for (const row of results.protocol) {
      expect(row.pairsPerSecond, row.engine).toBeGreaterThan(0);
      expect(row.ratioToNodeCrypto, row.engine).toBeGreaterThan(0);
      expect(out).toContain(row.engine); // and it is in the printed table
    }
  });

  it('meters one firmware wake request on XS, and it costs more than a bare seal+open pair', () => {
    const { device } = results;
    expect(device.requests).toBeGreaterThan(0);
    expect(Number.isInteger(device.computeWithRequests) && Number.isInteger(device.computeWithout)).toBe(true);
    expect(device.computeWithRequests).toBeGreaterThan(device.computeWithout);
    positive(device.computePerRequest, 'compute per request');
    expect(device.ratioToSealOpen).toBeGreaterThan(1);
    expect(out).toContain('Device side: XS compute meter');
  });

  it('L2: WS round trips through the relay, the same-frame raw ceiling and the JSON-only relay, with latency, CPU and ratios per size', () => {
    const rows = results.relay.wsRoundTrip;
    expect(rows.map((r) => r.pairs)).toEqual([1, 10]);
    for (const row of rows) {
      for (const side of [row.baseline, row.jsonRelay, row.relay]) {
        expect(side.lanes).toBe(row.pairs);
        positive(side.roundTripsPerSecond, `rt/s at ${row.pairs}`);
        positive(side.serverCpuMicrosPerRoundTrip, `CPU/rt at ${row.pairs}`);
        expect(side.p50Ms).toBeLessThanOrEqual(side.p99Ms);
      }
      positive(row.throughputRatio, 'throughput ratio');
      positive(row.p99Ratio, 'p99 ratio');
      for (const r of [row.toCeiling, row.toJsonRelay, row.jsonToCeiling]) {
        positive(r.throughput, 'rt/s ratio');
        positive(r.p99, 'p99 ratio');
        positive(r.cpuPerRoundTrip, 'CPU/rt ratio');
      }
      expect(row.toCeiling.throughput).toBe(row.throughputRatio);
      // One round per pass in the smoke run: the per-round ratio is that round's own.
      expect(row.roundsPerSecond.relay).toHaveLength(1);
      expect(row.pairedToCeiling).toEqual(row.toCeiling);
      positive(row.pairedToJsonRelay.cpuPerRoundTrip, 'paired CPU/rt ratio');
    }
    expect(out).toContain('WS round trip (L2)');
    expect(out).toContain('JSON-only Node relay');
    expect(out).toContain('raw ws ceiling (same frames)');
    // Raised through the relay's documented environment variables, nothing else.
    expect(results.relay.limitOverrides.roundTrip).toEqual({
      WS_MESSAGES_PER_SECOND: [20, 1_000_000], WS_MESSAGE_BURST: [50, 1_000_000],
      DEVICE_MESSAGES_PER_SECOND: [200, 1_000_000], DEVICE_MESSAGE_BURST: [400, 1_000_000],
    });
    expect(out).toContain('relay limits raised: WS_MESSAGES_PER_SECOND 20 → 1000000, WS_MESSAGE_BURST 50 → 1000000, DEVICE_MESSAGES_PER_SECOND 200 → 1000000, DEVICE_MESSAGE_BURST 400 → 1000000');
  });

  it('HTTP push + long-poll pull round trips, with ratios to the baseline', () => {
    const rows = results.relay.httpRoundTrip;
    expect(rows.map((r) => r.clients)).toEqual([1, 10]);
    for (const row of rows) {
      positive(row.relay.roundTripsPerSecond, `http rt/s at ${row.clients}`);
      expect(row.relay.p50Ms).toBeLessThanOrEqual(row.relay.p99Ms);
      positive(row.throughputRatio, 'http ratio');
    }
    expect(out).toContain('HTTP round trip');
  });

  it('L1: idle capacity measures both servers at every size or says why a size was skipped', () => {
    const { rows, openFileLimit } = results.relay.idle;
    expect(openFileLimit).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      if (row.skipped !== undefined) {
        expect(row.skipped).toMatch(/^skipped: /);
        continue;
      }
      expect(row.relay!.connections).toBe(row.connections);
      expect(Number.isFinite(row.relay!.rssBytesPerConnection) && Number.isFinite(row.baseline!.rssBytesPerConnection)).toBe(true);
      // The floor held every socket too, and a bare upgraded socket keeps less heap than a `ws` one.
      expect(row.floor?.connections).toBe(row.connections);
      expect(row.floor!.heapBytesPerConnection).toBeLessThan(row.baseline!.heapBytesPerConnection);
      if (row.baseline!.rssBytesPerConnection > 0) {
        expect(row.ratioNote).toBeUndefined();
        expect(Number.isFinite(row.rssRatio)).toBe(true);
      } else {
        expect(row.rssRatio).toBeUndefined();
        expect(row.ratioNote).toMatch(/^no ratio: the baseline's RSS did not grow/);
      }
    }
    expect(out).toContain('Idle capacity (L1)');
  });

  it('durable queueing: every queued ACK is a row on disk, compared with a one-transaction-per-insert loop', () => {
    const q = results.relay.queueing;
    expect(q.producers).toBe(100);
    expect(q.acknowledged).toBeGreaterThan(0);
    expect(q.rowsOnDisk).toBeGreaterThanOrEqual(q.acknowledged);
    positive(q.baselineInsertsPerSecond, 'baseline inserts/s');
    positive(q.relay.roundTripsPerSecond, 'relay commands/s');
    positive(q.ratio, 'queueing ratio');
    expect(out).toContain('Durable queueing');
  });
});
