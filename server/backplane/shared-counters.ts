/**
 * Counters every instance keeps the same (issue 15): each local change is broadcast and the other
 * instances apply it to their copy. Login, registration and token throttles (FailureThrottle), the
 * claim attempt budgets (AttemptBudget), claim-code failures (ClaimCodes) and pairing-code
 * failures (OneTimeCodes) all share this way: a guesser spreading attempts over instances meets one
 * budget. A broadcast lost while Redis is away only lets that instance count alone for a while.
 */
import type { RedisBus } from './redis-bus';

export interface SharedCounter {
  /** Told of every local change (one listener: the bus). */
  onChange(listener: (op: string, key: string) => void): void;
  /** A change another instance made: applied here, not told again; an unknown op is ignored. */
  applyRemote(op: string, key: string): void;
}

/** Longest key accepted from the bus (addresses, account ids, encoded pairs). */
const MAX_KEY_CHARS = 512;

export function shareCounters(bus: RedisBus, counters: Record<string, SharedCounter>): void {
  for (const [name, counter] of Object.entries(counters)) counter.onChange((op, key) => bus.broadcast({ t: 'throttle', name, op, key }));
  bus.on('throttle', (m) => {
    const name = String(m.name);
    const counter = Object.hasOwn(counters, name) ? counters[name] : undefined;
    if (counter && typeof m.op === 'string' && typeof m.key === 'string' && m.key.length <= MAX_KEY_CHARS) counter.applyRemote(m.op, m.key);
  });
}
