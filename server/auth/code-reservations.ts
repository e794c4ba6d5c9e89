/**
 * Several relay instances (issue 15): a live one-time code (a claim code, a pairing code) is
 * reserved cluster-wide when it is issued, so no two instances hand out the same live code and a
 * code entered on any instance finds the one that holds it. Without REDIS_URL nothing is reserved.
 */
export type Reservation = 'ok' | 'taken' | 'unavailable';

export interface CodeReservations {
  /**
   * 'ok': reserved for `ttlMs` (or already ours); 'taken': live on another instance (draw another);
   * 'unavailable': Redis is away, the code is known here only (reserved again once Redis is back).
   */
  reserve(code: string, ttlMs: number): Promise<Reservation>;
  /** The code is used, burned, expired or its holder gone: free it (only if still ours). */
  release(code: string): void;
}
