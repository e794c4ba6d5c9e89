/**
 * Section 4 (catalogue L1): idle capacity. Authenticated device sockets held open on the relay
 * versus plain sockets on the raw `ws` baseline; memory is sampled after a forced GC on both, and
 * the cost per connection is the growth from the empty server. Sizes are cumulative (open 1,000,
 * measure, open up to 10,000, measure). A size the machine refuses is skipped and reported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WebSocket } from 'ws';
import type { MeasuredProcess } from './processes';
import { openMany, openPeer, terminateAll } from './sockets';
import { sleep } from './stats';

const OPEN_CONCURRENCY = 200;
/** Descriptors kept free for the load generator's own files, pipes and HTTP clients. */
const FD_HEADROOM = 200;
/**
 * Developer use: BENCH_IDLE_SNAPSHOT_DIR=DIR also writes a heap snapshot of each server when empty
 * and at each size (`<name>-<size>.heapsnapshot`, for heap-summary.ts). Snapshots inflate RSS, so
 * the figures of such a run are not comparable.
 */
const SNAPSHOT_DIR = process.env.BENCH_IDLE_SNAPSHOT_DIR;
const snapshotPath = (server: MeasuredProcess, size: number) =>
  SNAPSHOT_DIR ? path.join(SNAPSHOT_DIR, `${server.name.replace(/\W+/g, '-')}-${size}.heapsnapshot`) : undefined;

export interface IdleSample {
  connections: number;
  rssBytesPerConnection: number;
  heapBytesPerConnection: number;
  openSeconds: number;
}

export interface IdleRow {
  connections: number;
  relay?: IdleSample;
  baseline?: IdleSample;
  /** Upgraded sockets with no WebSocket object (bare-upgrade.ts): the floor under any Node WS server. */
  floor?: IdleSample;
  /** relay RSS per connection ÷ baseline RSS per connection; absent when the baseline's RSS did not grow. */
  rssRatio?: number;
  /** Why `rssRatio` is absent: RSS moves in whole allocator chunks, so a small size can show no growth. */
  ratioNote?: string;
  skipped?: string;
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (!match || match[1] === 'unlimited') return Number.POSITIVE_INFINITY;
  return Number(match[1]);
}

/** Opens sockets up to each size in turn and samples memory at each; sizes beyond `maxConnections` are skipped. */
export async function holdIdle(opts: {
  server: MeasuredProcess;
  sizes: number[];
  url: (index: number) => string;
  token?: string;
  settleMs: number;
  log: (line: string) => void;
}): Promise<Map<number, IdleSample | string>> {
  const out = new Map<number, IdleSample | string>();
  const limit = openFileLimit() - FD_HEADROOM;
  const sockets: WebSocket[] = [];
  const empty = await opts.server.probe(true, snapshotPath(opts.server, 0));
  try {
    for (const size of opts.sizes) {
      if (size > limit) {
        out.set(size, `skipped: open-file limit ${limit + FD_HEADROOM} is below ${size} + ${FD_HEADROOM} (raise it with ulimit -n)`);
        continue;
      }
      const start = performance.now();
      const from = sockets.length;
      const { opened, error } = await openMany(size - from, OPEN_CONCURRENCY, (i) => openPeer(opts.url(from + i), { token: opts.token }));
      sockets.push(...opened);
      if (error) {
        out.set(size, `skipped: the machine refused connection ${sockets.length + 1} of ${size} (${error.message})`);
        break;
      }
      const openSeconds = (performance.now() - start) / 1000;
      await sleep(opts.settleMs);
      const held = await opts.server.probe(true, snapshotPath(opts.server, size));
      out.set(size, {
        connections: size,
        rssBytesPerConnection: (held.rss - empty.rss) / size,
        heapBytesPerConnection: (held.heapUsed - empty.heapUsed) / size,
        openSeconds,
      });
      opts.log(`idle ${opts.server.name}: ${size} sockets, ${((held.rss - empty.rss) / size).toFixed(0)} B RSS each`);
    }
  } finally {
    terminateAll(sockets);
  }
  return out;
}

export function idleRows(
  sizes: number[],
  relay: Map<number, IdleSample | string>,
  baseline: Map<number, IdleSample | string>,
  floor: Map<number, IdleSample | string>,
): IdleRow[] {
  return sizes.map((connections) => {
    const r = relay.get(connections);
    const b = baseline.get(connections);
    if (typeof r !== 'object' || typeof b !== 'object') {
      const reason = [r, b].find((x) => typeof x === 'string') ?? 'skipped: not reached';
      return { connections, skipped: reason as string };
    }
    // The floor is for scale only: a size it could not hold still reports the relay's row.
    const f = floor.get(connections);
    const measured = { connections, relay: r, baseline: b, ...(typeof f === 'object' ? { floor: f } : {}) };
    if (!(b.rssBytesPerConnection > 0)) {
      return { ...measured, ratioNote: `no ratio: the baseline's RSS did not grow with ${connections} sockets (measure more)` };
    }
    return { ...measured, rssRatio: r.rssBytesPerConnection / b.rssBytesPerConnection };
  });
}
