import { fileURLToPath } from 'node:url';
import { nodeCrypto } from '../../node/crypto';
import { runInXs } from '../../node/xs/run';
import { sealOpenPairs } from './workload';

export interface ProtocolRow {
  engine: string;
  pairsPerSecond: number;
  ratioToNodeCrypto: number;
}

type Backend = Parameters<typeof sealOpenPairs>[1];

/** Pairs per second over `ms` milliseconds, in batches so the clock is read rarely. */
function rate(ms: number, crypto: Backend): number {
  sealOpenPairs(50, crypto); // warm-up (JIT)
  let pairs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    sealOpenPairs(25, crypto);
    pairs += 25;
    elapsed = performance.now() - start;
  }
  return (pairs / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function xsRate(pairs: number): Promise<number> {
  const entry = fileURLToPath(new URL('./xs.entry.ts', import.meta.url));
  const run = await runInXs(entry, { define: { BENCH_PAIRS: String(pairs) }, timeoutMs: 300_000 });
  const [start, end] = run.receivedAt;
  if (start === undefined || end === undefined || !(end > start)) throw new Error('XS bench did not report its phases');
  return (pairs / (end - start)) * 1000;
}

/** seal+open pairs/s for a typical wake command: plain TS and node:crypto on Node, plain TS on XS. */
export async function benchProtocol(smoke: boolean): Promise<ProtocolRow[]> {
  const ms = smoke ? 150 : 1500;
  const reference: number[] = [];
  const native: number[] = [];
  // Interleaved rounds, so a noisy neighbour hits both sides alike; the median of each is kept.
  for (let round = 0; round < (smoke ? 1 : 3); round++) {
    reference.push(rate(ms, undefined));
    native.push(rate(ms, nodeCrypto));
  }
  const xs = await xsRate(smoke ? 100 : 1500);
  const base = median(native);
  return [
    { engine: 'Node, node:crypto backend', pairsPerSecond: base, ratioToNodeCrypto: 1 },
    { engine: 'Node, plain-TS backend', pairsPerSecond: median(reference), ratioToNodeCrypto: median(reference) / base },
    { engine: 'XS (xsnap), plain-TS backend', pairsPerSecond: xs, ratioToNodeCrypto: xs / base },
  ];
}
