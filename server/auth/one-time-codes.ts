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
 *
 * Several instances (issue 15): a failure is told (onChange) and applied on the others
 * (applyRemote), budgets and burning alike; a code held on another instance is taken there (take),
 * and every removed code is told (onRemoved) so its cluster-wide reservation is freed.
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
  private failureListener: ((op: 'failure', key: string) => void) | null = null;
  private removedListener: ((scope: string, code: string) => void) | null = null;

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
    if (this.mayTry(scope, address, code)) {
      const value = this.take(scope, code, accept);
      if (value !== null) return value;
    }
    this.fail(scope, address);
    return null;
  }

  /** Whether `code` may be compared at all: well formed, and no failure budget of the caller spent. */
  mayTry(scope: string, address: string, code: string): boolean {
    const now = this.clock.now();
    const b = this.bounds;
    const over = this.failures.count(GLOBAL, now) >= b.failuresGlobal
      || this.failures.count(`a:${address}`, now) >= b.failuresPerAddress
      || this.failures.count(`s:${scope}`, now) >= b.failuresPerScope;
    return !over && code.length === b.digits && /^\d+$/.test(code);
  }

  /** The value of the live code `code` of `scope`, consumed; null when none here matches (nothing is counted). */
  take(scope: string, code: string, accept: (value: T) => boolean = () => true): T | null {
    const live = this.live(scope, this.clock.now());
    const given = Buffer.from(code);
    if (given.length !== this.bounds.digits) return null;
    let match: LiveCode<T> | undefined;
    // Every live code is compared, each in constant time: the time taken says nothing about which digits matched.
    for (const entry of live) if (timingSafeEqual(Buffer.from(entry.code), given) && match === undefined) match = entry;
    if (!match || !accept(match.value)) return null;
    this.remove(scope, match);
    return match.value;
  }

  /** A failed attempt (told to the other instances): counted in every budget and against the scope's live codes. */
  fail(scope: string, address: string): void {
    const now = this.clock.now();
    this.failed(scope, address, this.live(scope, now), now);
    this.failureListener?.('failure', JSON.stringify([scope, address]));
  }

  onChange(listener: (op: 'failure', key: string) => void): void {
    this.failureListener = listener;
  }

  /** A failure on another instance. */
  applyRemote(op: string, key: string): void {
    if (op !== 'failure') return;
    let pair: unknown;
    try {
      pair = JSON.parse(key);
    } catch {
      return;
    }
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return;
    const now = this.clock.now();
    this.failed(pair[0], pair[1], this.live(pair[0], now), now);
  }

  /** Told of every code that leaves (used, burned, expired, withdrawn). */
  onRemoved(listener: (scope: string, code: string) => void): void {
    this.removedListener = listener;
  }

  /** Every live code, for reserving them again after a Redis restart. */
  liveCodes(): { scope: string; code: string; ttlMs: number }[] {
    const now = this.clock.now();
    return [...this.byScope.keys()].flatMap((scope) => this.live(scope, now).map(({ code, expiresAt }) => ({ scope, code, ttlMs: expiresAt - now })));
  }

  /** A code that must not be used (another instance holds the same one): gone. */
  withdraw(scope: string, code: string): void {
    const entry = this.byScope.get(scope)?.find((candidate) => candidate.code === code);
    if (entry) this.remove(scope, entry);
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
    if (this.removedListener) for (const entry of entries) if (entry.expiresAt <= now) this.removedListener(scope, entry.code);
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
    this.removedListener?.(scope, entry.code);
    if (entries.length === 0) this.byScope.delete(scope);
  }
}
