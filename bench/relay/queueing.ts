/**
 * Section 5: durable queueing. 100 concurrent producers push commands to offline devices; each
 * push is acknowledged (`queued: true`) only after the row is committed with synchronous=FULL.
 * Baseline in the same run: a better-sqlite3 loop, one transaction (one fsync) per insert, same
 * pragmas and same disk. The relay can only beat it by committing concurrent requests together.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { closedLoop, type LoopResult, type LoopTiming, type RoundTrip } from './closed-loop';
import { JsonClient, postOk } from './http';
import type { DevicePackets } from './packets';
import type { MeasuredProcess } from './processes';
import { median, medianRound } from './stats';

export interface QueueingResult {
  producers: number;
  devices: number;
  perDeviceCap: number;
  /** The median relay round (by throughput). */
  relay: LoopResult;
  /** Every round, in order: baseline inserts/s and relay commands/s alternate. */
  rounds: { baselineInsertsPerSecond: number; relayCommandsPerSecond: number }[];
  /** Rows found in the relay's database afterwards (must cover every `queued` ACK). */
  rowsOnDisk: number;
  acknowledged: number;
  /** Median of the baseline rounds. */
  baselineInsertsPerSecond: number;
  /**
   * Median over rounds of (relay commands/s ÷ baseline inserts/s of the round just before it), so
   * each ratio compares the two writers under the same disk conditions (target ≥ 2).
   */
  ratio: number;
}

export interface BaselineTiming {
  durationMs: number;
  maxInserts: number;
}

/** One autocommit INSERT per command: what a relay without group commit pays per `queued` ACK. */
export function insertLoopBaseline(dir: string, packet: DevicePackets, timing: BaselineTiming): { perSecond: number; inserts: number } {
  const db = new Database(path.join(dir, 'baseline-queue.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS device_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, payload TEXT NOT NULL,
      signature TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    db.exec('CREATE INDEX IF NOT EXISTS device_queue_device ON device_queue(device_id, id)');
    const insert = db.prepare('INSERT INTO device_queue (device_id, payload, signature, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    const { payload, signature } = JSON.parse(packet.command) as { payload: string; signature: string };
    let inserts = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < timing.durationMs && inserts < timing.maxInserts) {
      const now = Date.now();
      insert.run(packet.deviceId, payload, signature, now, now + 300_000);
      inserts += 1;
      elapsed = performance.now() - start;
    }
    return { perSecond: (inserts / elapsed) * 1000, inserts };
  } finally {
    db.close();
  }
}

/**
 * One producer cycles over its own offline devices, so no device queue passes the shipped cap
 * (default 32): the relay's cap check runs over realistic queue lengths and never answers 429.
 */
function producerLane(client: JsonClient, devices: DevicePackets[], counter: { acknowledged: number }, perDeviceCap: number): RoundTrip {
  const commands = devices.map((d) => JSON.parse(d.command) as Record<string, unknown>);
  const bound = devices.length * perDeviceCap;
  let sent = 0;
  return async () => {
    if (sent >= bound) throw new Error(`producer for ${devices[0]!.deviceId}… reached its bound of ${bound} commands (${devices.length} devices × cap ${perDeviceCap})`);
    const command = commands[sent % commands.length]!;
    sent += 1;
    const body = await postOk(client, '/api/push', command, [200]);
    if (body.queued !== true || body.delivered_via_ws !== false) throw new Error(`push was not queued: ${JSON.stringify(body)}`);
    counter.acknowledged += 1;
  };
}

export async function benchQueueing(opts: {
  relay: MeasuredProcess;
  databaseFile: string;
  dataDir: string;
  token: string;
  /** Offline devices; producer i uses devices i, i + producers, i + 2 × producers, … */
  packets: DevicePackets[];
  producers: number;
  /** The relay's per-device queue cap (shipped default). */
  perDeviceCap: number;
  timing: LoopTiming;
  baseline: BaselineTiming;
  /** Alternating baseline/relay rounds: fsync latency on shared machines drifts within seconds. */
  rounds: number;
  log: (line: string) => void;
}): Promise<QueueingResult> {
  const counter = { acknowledged: 0 };
  const clients = Array.from({ length: opts.producers }, () => new JsonClient(opts.relay.port, opts.token));
  const lanes = clients.map((client, i) =>
    producerLane(client, opts.packets.filter((_, d) => d % opts.producers === i), counter, opts.perDeviceCap));
  const baselineRates: number[] = [];
  const relayRounds: LoopResult[] = [];
  try {
    for (let round = 0; round < opts.rounds; round++) {
      baselineRates.push(insertLoopBaseline(opts.dataDir, opts.packets[0]!, opts.baseline).perSecond);
      relayRounds.push(await closedLoop(lanes, opts.relay, opts.timing));
      opts.log(`queueing round ${round + 1}: baseline ${baselineRates.at(-1)!.toFixed(0)} inserts/s, relay ${relayRounds.at(-1)!.roundTripsPerSecond.toFixed(0)} commands/s`);
    }
  } finally {
    for (const client of clients) client.close();
  }
  const relay = medianRound(relayRounds);
  const baselinePerSecond = median(baselineRates);
  const check = new Database(opts.databaseFile, { readonly: true, fileMustExist: true });
  const rowsOnDisk = (check.prepare('SELECT COUNT(*) AS n FROM device_queue').get() as { n: number }).n;
  check.close();
  if (rowsOnDisk < counter.acknowledged) throw new Error(`${counter.acknowledged} commands acknowledged as queued but only ${rowsOnDisk} rows on disk`);
  return {
    producers: opts.producers,
    devices: opts.packets.length,
    perDeviceCap: opts.perDeviceCap,
    relay,
    rounds: baselineRates.map((b, i) => ({ baselineInsertsPerSecond: b, relayCommandsPerSecond: relayRounds[i]!.roundTripsPerSecond })),
    rowsOnDisk,
    acknowledged: counter.acknowledged,
    baselineInsertsPerSecond: baselinePerSecond,
    ratio: median(relayRounds.map((round, i) => round.roundTripsPerSecond / baselineRates[i]!)),
  };
}
