/** Latency samples in a fixed-size buffer (bounded memory however long a phase runs). */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private length = 0;
  /** Samples beyond capacity are counted but not kept; percentiles then come from the kept prefix. */
  dropped = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  get count(): number {
    return this.length + this.dropped;
  }

  add(ms: number): void {
    if (this.length < this.samples.length) this.samples[this.length++] = ms;
    else this.dropped += 1;
  }

  reset(): void {
    this.length = 0;
    this.dropped = 0;
  }

  /** Nearest-rank percentile in milliseconds; NaN without samples. */
  percentile(p: number): number {
    if (this.length === 0) return Number.NaN;
    const sorted = this.samples.slice(0, this.length).sort();
    const rank = Math.min(this.length - 1, Math.max(0, Math.ceil((p / 100) * this.length) - 1));
    return sorted[rank]!;
  }
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

export const round = (n: number, digits = 0): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : Number.NaN);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The round with the median throughput: a real measured round, not a blend of rounds. */
export function medianRound<T extends { roundTripsPerSecond: number }>(rounds: T[]): T {
  const mid = median(rounds.map((r) => r.roundTripsPerSecond));
  return rounds.reduce((best, r) => (Math.abs(r.roundTripsPerSecond - mid) < Math.abs(best.roundTripsPerSecond - mid) ? r : best));
}
