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

export interface QueueingResult {
  producers: number;
  relay: LoopResult;
  /** Rows found in the relay's database afterwards (must cover every `queued` ACK). */
  rowsOnDisk: number;
  acknowledged: number;
  baselineInsertsPerSecond: number;
  baselineInserts: number;
  /** relay commands/s ÷ baseline inserts/s (target ≥ 2). */
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
    db.exec(`CREATE TABLE device_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, payload TEXT NOT NULL,
      signature TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    db.exec('CREATE INDEX device_queue_device ON device_queue(device_id, id)');
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

function producerLane(client: JsonClient, packet: DevicePackets, counter: { acknowledged: number }, maxPerProducer: number): RoundTrip {
  const command = JSON.parse(packet.command) as Record<string, unknown>;
  let sent = 0;
  return async () => {
    // Stay under the per-device queue cap: a full queue would turn the measurement into 429s.
    if (sent >= maxPerProducer) throw new Error(`producer for ${packet.deviceId} reached its bound of ${maxPerProducer} commands`);
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
  packets: DevicePackets[];
  timing: LoopTiming;
  baseline: BaselineTiming;
  maxPerProducer: number;
  log: (line: string) => void;
}): Promise<QueueingResult> {
  const baseline = insertLoopBaseline(opts.dataDir, opts.packets[0]!, opts.baseline);
  opts.log(`queueing baseline: ${baseline.perSecond.toFixed(0)} single-transaction inserts/s`);
  const counter = { acknowledged: 0 };
  const clients = opts.packets.map(() => new JsonClient(opts.relay.port, opts.token));
  let relay: LoopResult;
  try {
    relay = await closedLoop(opts.packets.map((p, i) => producerLane(clients[i]!, p, counter, opts.maxPerProducer)), opts.relay, opts.timing);
  } finally {
    for (const client of clients) client.close();
  }
  const check = new Database(opts.databaseFile, { readonly: true, fileMustExist: true });
  const rowsOnDisk = (check.prepare('SELECT COUNT(*) AS n FROM device_queue').get() as { n: number }).n;
  check.close();
  if (rowsOnDisk < counter.acknowledged) throw new Error(`${counter.acknowledged} commands acknowledged as queued but only ${rowsOnDisk} rows on disk`);
  opts.log(`queueing: relay ${relay.roundTripsPerSecond.toFixed(0)} commands/s`);
  return {
    producers: opts.packets.length,
    relay,
    rowsOnDisk,
    acknowledged: counter.acknowledged,
    baselineInsertsPerSecond: baseline.perSecond,
    baselineInserts: baseline.inserts,
    ratio: relay.roundTripsPerSecond / baseline.perSecond,
  };
}
