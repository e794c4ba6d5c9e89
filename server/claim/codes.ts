import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../time';

export const CLAIM_CODE_DIGITS = 6;
const CODE_SPACE = 10 ** CLAIM_CODE_DIGITS;

/** One board's claim socket as the code registry sees it. */
export interface ClaimHolder {
  readonly deviceId: string;
  /** The registry gave it a new code (a burned one's replacement, or after expiry): tell the board. */
  codeChanged(code: string, expiresAt: number): void;
}

interface LiveCode {
  holder: ClaimHolder;
  code: Buffer;
  expiresAt: number;
  /** The relay-wide failure count when this code was issued. */
  failuresAtIssue: number;
}

export interface ClaimCodeBounds {
  ttlMs: number;
  /** Wrong claims relay-wide a code outlasts; then it is burned (replaced). */
  maxFailures: number;
}

/**
 * The live claim codes (issue 14): 6 digits from the CSPRNG, one per claim socket, unique among
 * live codes, single use. A lookup compares the guess with every live code in constant time
 * (no early exit, no hash map keyed by the code), so timing says nothing about near misses.
 *
 * A wrong guess names no code, so "a code that was attacked" cannot be told by the guess: every
 * live code counts every wrong claim made on the relay since it was issued, and once that passes
 * `maxFailures` it is burned: replaced by a new one that is sent to its board, which shows it on
 * its console and setup page. A live code thus faces at most `maxFailures` guesses in its life,
 * so any one code is found with probability at most maxFailures / 10^6, whoever guesses from
 * wherever (the per-minute budgets bound how fast guesses come at all).
 */
export class ClaimCodes {
  private readonly live = new Map<ClaimHolder, LiveCode>();
  private failures = 0;
  /** Codes burned so far (tests and logs). */
  burned = 0;

  constructor(private readonly bounds: ClaimCodeBounds, private readonly clock: Clock) {}

  get size(): number {
    return this.live.size;
  }

  /** A new code for the holder (replacing its old one). */
  issue(holder: ClaimHolder): { code: string; expiresAt: number } {
    let code: string;
    do code = String(randomInt(0, CODE_SPACE)).padStart(CLAIM_CODE_DIGITS, '0');
    while (this.find(code, Number.NEGATIVE_INFINITY) !== undefined);
    const expiresAt = this.clock.now() + this.bounds.ttlMs;
    this.live.set(holder, { holder, code: Buffer.from(code, 'ascii'), expiresAt, failuresAtIssue: this.failures });
    return { code, expiresAt };
  }

  /** The holder whose live, unexpired code this is (the code is not consumed: see take()). */
  find(code: string, now = this.clock.now()): ClaimHolder | undefined {
    const guess = Buffer.alloc(CLAIM_CODE_DIGITS);
    guess.write(code.slice(0, CLAIM_CODE_DIGITS), 'ascii');
    const wellFormed = code.length === CLAIM_CODE_DIGITS;
    let found: ClaimHolder | undefined;
    for (const entry of this.live.values()) {
      const same = timingSafeEqual(entry.code, guess);
      if (same && wellFormed && entry.expiresAt > now) found = entry.holder;
    }
    return found;
  }

  /** Single use: the code is gone once its board is claimed. */
  take(holder: ClaimHolder): void {
    this.live.delete(holder);
  }

  /** Its socket closed. */
  remove(holder: ClaimHolder): void {
    this.live.delete(holder);
  }

  /** A wrong claim: every live code that has now outlasted `maxFailures` of them is burned. */
  recordFailure(): void {
    this.failures += 1;
    const attacked = [...this.live.values()].filter((entry) => this.failures - entry.failuresAtIssue >= this.bounds.maxFailures);
    for (const entry of attacked) {
      this.burned += 1;
      const next = this.issue(entry.holder);
      entry.holder.codeChanged(next.code, next.expiresAt);
    }
  }
}
