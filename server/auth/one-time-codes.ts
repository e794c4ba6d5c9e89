import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../time';

/**
 * Short numeric one-time codes (issue 14: pairing codes; claim codes may use it too) and the guard
 * that keeps their space unsearchable. A 6-digit code has a million values, so guessing is bounded
 * everywhere it can be: wrong codes are counted per scope (the account), per client address and
 * relay-wide in a fixed window, and beyond any budget every attempt fails without being compared;
 * each live code of a scope counts the wrong codes entered in that scope while it waits (the
 * guesser cannot tell codes apart) and is burned at its budget. Codes come from the CSPRNG, are
 * compared in constant time, expire and are single use; every failure looks the same to the caller.
 */
export interface OneTimeCodeBounds {
  digits: number;
  ttlMs: number;
  /** Live codes per scope at once. */
  codesPerScope: number;
  /** Live codes in memory relay-wide (the memory bound). */
  codesTotal: number;
  windowMs: number;
  failuresPerScope: number;
  failuresPerAddress: number;
  failuresGlobal: number;
  /** Wrong codes entered in its scope a live code survives; the next one burns it. */
  failuresPerCode: number;
  /** Addresses and scopes whose failures are remembered (the oldest are forgotten). */
  maxTrackedKeys: number;
}

interface LiveCode<T> {
  code: string;
  value: T;
  expiresAt: number;
  failures: number;
}

/** Failures per key in the current fixed window; bounded in keys. */
class WindowCounter {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly windowMs: number, private readonly maxKeys: number) {}

  count(key: string, now: number): number {
    this.roll(now);
    return this.counts.get(key) ?? 0;
  }

  add(key: string, now: number): void {
    this.roll(now);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.counts.size > this.maxKeys) {
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
  }

  private roll(now: number): void {
    if (now - this.windowStart < this.windowMs) return;
    this.windowStart = now - (now % this.windowMs);
    this.counts.clear();
  }
}

export type IssueResult = { ok: true; code: string; expiresInSeconds: number } | { ok: false; reason: 'scope_limit' | 'full' };

const GLOBAL = '*';

export class OneTimeCodes<T> {
  private readonly byScope = new Map<string, LiveCode<T>[]>();
  private readonly failures: WindowCounter;
  private total = 0;
  /** For tests and metrics: codes burned after being attacked. */
  burned = 0;

  constructor(private readonly bounds: OneTimeCodeBounds, private readonly clock: Clock) {
    this.failures = new WindowCounter(bounds.windowMs, bounds.maxTrackedKeys);
  }

  issue(scope: string, value: T): IssueResult {
    const now = this.clock.now();
    const live = this.live(scope, now);
    if (live.length >= this.bounds.codesPerScope) return { ok: false, reason: 'scope_limit' };
    if (this.total >= this.bounds.codesTotal) this.sweep(now);
    if (this.total >= this.bounds.codesTotal) return { ok: false, reason: 'full' };
    let code: string;
    // Unique within the scope, so a code names one waiting value.
    do code = String(randomInt(0, 10 ** this.bounds.digits)).padStart(this.bounds.digits, '0');
    while (live.some((entry) => entry.code === code));
    live.push({ code, value, expiresAt: now + this.bounds.ttlMs, failures: 0 });
    this.byScope.set(scope, live);
    this.total += 1;
    return { ok: true, code, expiresInSeconds: Math.round(this.bounds.ttlMs / 1000) };
  }

  /**
   * The value of the live code `code` of `scope`, consumed; null for every failure (malformed,
   * wrong, expired, used, burned, over a budget, or refused by `accept`, which leaves the code).
   */
  redeem(scope: string, address: string, code: string, accept: (value: T) => boolean = () => true): T | null {
    const now = this.clock.now();
    const b = this.bounds;
    const over = this.failures.count(GLOBAL, now) >= b.failuresGlobal
      || this.failures.count(`a:${address}`, now) >= b.failuresPerAddress
      || this.failures.count(`s:${scope}`, now) >= b.failuresPerScope;
    const live = this.live(scope, now);
    if (!over && code.length === b.digits && /^\d+$/.test(code)) {
      const given = Buffer.from(code);
      let match: LiveCode<T> | undefined;
      // Every live code is compared, each in constant time: the time taken says nothing about which digits matched.
      for (const entry of live) if (timingSafeEqual(Buffer.from(entry.code), given) && match === undefined) match = entry;
      if (match && accept(match.value)) {
        this.remove(scope, match);
        return match.value;
      }
    }
    this.failed(scope, address, live, now);
    return null;
  }

  /** Drops expired codes everywhere (a periodic sweep; lookups also drop them per scope). */
  sweep(now = this.clock.now()): void {
    for (const scope of [...this.byScope.keys()]) this.live(scope, now);
  }

  liveCount(scope?: string): number {
    return scope === undefined ? this.total : this.live(scope, this.clock.now()).length;
  }

  private failed(scope: string, address: string, live: LiveCode<T>[], now: number): void {
    this.failures.add(GLOBAL, now);
    this.failures.add(`a:${address}`, now);
    this.failures.add(`s:${scope}`, now);
    for (const entry of [...live]) {
      entry.failures += 1;
      if (entry.failures >= this.bounds.failuresPerCode) {
        this.remove(scope, entry);
        this.burned += 1;
      }
    }
  }

  private live(scope: string, now: number): LiveCode<T>[] {
    const entries = this.byScope.get(scope);
    if (!entries) return [];
    const kept = entries.filter((entry) => entry.expiresAt > now);
    this.total -= entries.length - kept.length;
    if (kept.length === 0) this.byScope.delete(scope);
    else this.byScope.set(scope, kept);
    return kept;
  }

  private remove(scope: string, entry: LiveCode<T>): void {
    const entries = this.byScope.get(scope);
    if (!entries) return;
    const index = entries.indexOf(entry);
    if (index < 0) return;
    entries.splice(index, 1);
    this.total -= 1;
    if (entries.length === 0) this.byScope.delete(scope);
  }
}
