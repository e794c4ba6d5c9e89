/** The relay's clock, injectable so TTL tests need not sleep. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** v1.0 timestamps: naive ISO-8601 in UTC without zone, e.g. `2026-11-22T07:40:39`. */
export function naiveIso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
