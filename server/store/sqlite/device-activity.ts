import type { Db } from '../../db/database';
import { LIMITS } from '../../limits';
import type { WriteHealth } from '../write-health';

/** Activity of one device not yet written to the database. */
export interface PendingActivity {
  lastSeenAt: number | null;
  /** Undefined: unchanged since the last write. */
  requestCounter: number | undefined;
  polls: number;
}

/**
 * Coalesces per-frame bookkeeping (`last_seen`, request counter, poll count) into one transaction
 * per `LIMITS.activityFlushMs`, instead of one synchronous=FULL commit (an fsync on the event loop)
 * per device reply or pull. The map holds one entry per device active within the interval.
 */
export class ActivityBuffer {
  private readonly pending = new Map<string, PendingActivity>();
  private timer: NodeJS.Timeout | undefined;
  /** Set by close(): a frame arriving during shutdown must not start a retry loop on a closed database. */
  private closed = false;
  private readonly writeAll: (entries: [string, PendingActivity][]) => void;

  constructor(
    private readonly db: Db,
    private readonly flushMs: number = LIMITS.activityFlushMs,
    /** Told about failures only: an in-place UPDATE can succeed while inserts still fail (F10). */
    private readonly health?: WriteHealth,
  ) {
    const seen = db.prepare<[number, string]>('UPDATE devices SET last_seen_at = ? WHERE device_id = ?');
    const seenWithCounter = db.prepare<[number, number, string]>(
      'UPDATE devices SET last_seen_at = ?, last_request_counter = ? WHERE device_id = ?',
    );
    const polls = db.prepare<[number, string]>('UPDATE devices SET poll_count = poll_count + ? WHERE device_id = ?');
    // A row deleted meanwhile simply matches nothing.
    this.writeAll = db.transaction((entries: [string, PendingActivity][]) => {
      for (const [deviceId, a] of entries) {
        if (a.lastSeenAt !== null) {
          if (a.requestCounter !== undefined) seenWithCounter.run(a.lastSeenAt, a.requestCounter, deviceId);
          else seen.run(a.lastSeenAt, deviceId);
        }
        if (a.polls > 0) polls.run(a.polls, deviceId);
      }
    });
  }

  seen(deviceId: string, now: number, requestCounter?: number | null): void {
    const entry = this.entry(deviceId);
    entry.lastSeenAt = Math.max(entry.lastSeenAt ?? now, now);
    if (typeof requestCounter === 'number' && Number.isSafeInteger(requestCounter)) entry.requestCounter = requestCounter;
  }

  addPolls(deviceId: string, count: number): void {
    this.entry(deviceId).polls += count;
  }

  /** Not yet written activity of a device, for readers to overlay on the stored row. */
  peek(deviceId: string): PendingActivity | undefined {
    return this.pending.get(deviceId);
  }

  forget(deviceId: string): void {
    this.pending.delete(deviceId);
  }

  /** Writes everything pending in one transaction; on failure (locked DB) it stays for the next try. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const entries = [...this.pending];
    this.pending.clear();
    try {
      this.writeAll(entries);
    } catch (error) {
      this.health?.failed(error);
      for (const [deviceId, a] of entries) this.merge(deviceId, a);
      this.schedule();
      throw error;
    }
  }

  /** Writes what it can, then stops scheduling for good; later activity is dropped (bookkeeping only). */
  close(): void {
    try {
      if (this.db.open) this.flush();
    } finally {
      this.closed = true;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.pending.clear();
    }
  }

  private merge(deviceId: string, older: PendingActivity): void {
    const newer = this.pending.get(deviceId);
    if (!newer) {
      this.pending.set(deviceId, older);
      return;
    }
    newer.polls += older.polls;
    if (newer.lastSeenAt === null || (older.lastSeenAt !== null && older.lastSeenAt > newer.lastSeenAt)) newer.lastSeenAt = older.lastSeenAt;
    if (newer.requestCounter === undefined) newer.requestCounter = older.requestCounter;
  }

  private entry(deviceId: string): PendingActivity {
    let entry = this.pending.get(deviceId);
    if (!entry) {
      this.pending.set(deviceId, (entry = { lastSeenAt: null, requestCounter: undefined, polls: 0 }));
      this.schedule();
    }
    return entry;
  }

  private schedule(): void {
    if (this.timer || this.closed || !this.db.open) return;
    this.timer = setTimeout(() => {
      try {
        this.flush();
      } catch {
        // Bookkeeping only (F9): kept in memory and retried on the next interval.
      }
    }, this.flushMs);
    // Never holds the process open; close() flushes what is left.
    this.timer.unref();
  }
}
