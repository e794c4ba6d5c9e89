import { randomInt, timingSafeEqual } from 'node:crypto';
import type { CodeReservations } from '../auth/code-reservations';
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
 *
 * Several instances (issue 15): wrong claims on any instance count here (applyRemote), and each
 * live code is reserved cluster-wide before its board is told it (renew), so it is unique among
 * every instance's live codes and a claim on another instance can find this one.
 */
/** Draws before a code is shown unreserved (another instance holding each of them: next to impossible). */
const MAX_DRAWS = 8;

export class ClaimCodes {
  private readonly live = new Map<ClaimHolder, LiveCode>();
  private failures = 0;
  /** Codes burned so far (tests and logs). */
  burned = 0;
  private reservations: CodeReservations | null = null;
  private failureListener: ((op: 'failure', key: string) => void) | null = null;

  constructor(private readonly bounds: ClaimCodeBounds, private readonly clock: Clock) {}

  /** A cluster: every code is reserved before its board sees it. */
  reserveWith(reservations: CodeReservations): void {
    this.reservations = reservations;
  }

  /** Told of every wrong claim made here (so the other instances count it too). */
  onChange(listener: (op: 'failure', key: string) => void): void {
    this.failureListener = listener;
  }

  /** A wrong claim on another instance. */
  applyRemote(op: string): void {
    if (op === 'failure') this.countFailure();
  }

  /**
   * A new code for the holder, told to it (codeChanged): at once on one instance; in a cluster once
   * it is reserved, drawing again while another instance holds the same live code.
   */
  renew(holder: ClaimHolder): void {
    const next = this.issue(holder);
    if (!this.reservations) holder.codeChanged(next.code, next.expiresAt);
    else void this.reserveThenTell(holder, next.code, next.expiresAt, 1);
  }

  /** After a Redis restart (its keys gone): every live code is reserved again; one another instance took meanwhile is replaced. */
  reserveAgain(): void {
    const reservations = this.reservations;
    if (!reservations) return;
    const now = this.clock.now();
    for (const entry of [...this.live.values()]) {
      if (entry.expiresAt <= now) continue;
      const code = entry.code.toString('ascii');
      void reservations.reserve(code, entry.expiresAt - now).then((outcome) => {
        if (outcome === 'taken' && this.live.get(entry.holder) === entry) this.renew(entry.holder);
      });
    }
  }

  private async reserveThenTell(holder: ClaimHolder, code: string, expiresAt: number, draws: number): Promise<void> {
    const outcome = await this.reservations!.reserve(code, Math.max(1, expiresAt - this.clock.now()));
    const entry = this.live.get(holder);
    // Replaced (burned, expired) or its socket gone while Redis answered: that renewal is not ours to finish.
    if (!entry || entry.code.toString('ascii') !== code) return;
    if (outcome === 'taken' && draws < MAX_DRAWS) {
      const next = this.issue(holder);
      return this.reserveThenTell(holder, next.code, next.expiresAt, draws + 1);
    }
    // 'unavailable': Redis is away; the code is claimable on this instance, and reserved again once Redis is back.
    holder.codeChanged(code, expiresAt);
  }

  get size(): number {
    return this.live.size;
  }

  /** A new code for the holder (replacing its old one). */
  issue(holder: ClaimHolder): { code: string; expiresAt: number } {
    let code: string;
    do code = String(randomInt(0, CODE_SPACE)).padStart(CLAIM_CODE_DIGITS, '0');
    while (this.find(code, Number.NEGATIVE_INFINITY) !== undefined);
    const expiresAt = this.clock.now() + this.bounds.ttlMs;
    this.release(holder);
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
    this.release(holder);
    this.live.delete(holder);
  }

  /** Its socket closed. */
  remove(holder: ClaimHolder): void {
    this.release(holder);
    this.live.delete(holder);
  }

  /** A wrong claim (told to the other instances): every live code that has now outlasted `maxFailures` of them is burned. */
  recordFailure(): void {
    this.countFailure();
    this.failureListener?.('failure', 'relay');
  }

  private countFailure(): void {
    this.failures += 1;
    const attacked = [...this.live.values()].filter((entry) => this.failures - entry.failuresAtIssue >= this.bounds.maxFailures);
    for (const entry of attacked) {
      this.burned += 1;
      this.renew(entry.holder);
    }
  }

  private release(holder: ClaimHolder): void {
    const entry = this.live.get(holder);
    if (entry) this.reservations?.release(entry.code.toString('ascii'));
  }
}
