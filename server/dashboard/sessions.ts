import { randomBytes } from 'node:crypto';
import type { Clock } from '../time';
import { DASHBOARD_LIMITS } from './limits';

/** One-time messages for the next dashboard page (a new API token is shown exactly once). */
export interface Flash {
  newToken?: { name: string; token: string };
  notice?: string;
}

export interface DashboardSession {
  /** 256 random bits; travels only inside the signed, HttpOnly cookie. */
  readonly id: string;
  readonly userId: number;
  readonly createdAt: number;
  lastUsedAt: number;
  flash: Flash | null;
}

export interface SessionLimits {
  ttlMs: number;
  idleMs: number;
  maxSessions: number;
  maxSessionsPerUser: number;
}

/** Several relay instances (issue 15): what one instance tells the others about its sessions. */
export type SessionChange =
  | { op: 'create'; id: string; userId: number; createdAt: number; lastUsedAt: number }
  | { op: 'destroy'; id: string }
  | { op: 'touch'; id: string; at: number }
  | { op: 'flash'; id: string; flash: Flash | null };

/** A use is told to the other instances at most this often per session (their idle clocks need no more). */
const TOUCH_SHARE_MS = 60_000;

const DEFAULT_SESSION_LIMITS: SessionLimits = {
  ttlMs: DASHBOARD_LIMITS.sessionTtlMs,
  idleMs: DASHBOARD_LIMITS.sessionIdleMs,
  maxSessions: DASHBOARD_LIMITS.maxSessions,
  maxSessionsPerUser: DASHBOARD_LIMITS.maxSessionsPerUser,
};

/**
 * Server-side dashboard sessions. Kept on the server (not only in the cookie) so logout really
 * ends a session and a new token can be handed to the next page without touching the cookie.
 * In memory: a relay restart logs users out, which is safe; a multi-instance deployment would
 * put a shared implementation behind the same methods.
 */
export class SessionStore {
  private readonly sessions = new Map<string, DashboardSession>();
  private readonly byUser = new Map<number, Set<string>>();
  private readonly limits: SessionLimits;
  private share: ((change: SessionChange) => void) | null = null;
  private readonly sharedTouch = new Map<string, number>();

  constructor(private readonly clock: Clock, limits: Partial<SessionLimits> = {}) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
  }

  /** Every later change is told to `listener` (the other instances apply it with applyShared). */
  shareWith(listener: (change: SessionChange) => void): void {
    this.share = listener;
  }

  /** A change another instance made: applied here, not told again. */
  applyShared(change: SessionChange): void {
    const share = this.share;
    this.share = null;
    try {
      if (change.op === 'create') this.insert(change.id, change.userId, change.createdAt, change.lastUsedAt);
      else if (change.op === 'destroy') this.destroy(change.id);
      else if (change.op === 'touch') {
        const session = this.sessions.get(change.id);
        if (session && change.at > session.lastUsedAt) session.lastUsedAt = change.at;
      } else {
        const session = this.sessions.get(change.id);
        if (session) session.flash = change.flash;
      }
    } finally {
      this.share = share;
    }
  }

  create(userId: number): DashboardSession {
    const now = this.clock.now();
    const session = this.insert(randomBytes(32).toString('base64url'), userId, now, now);
    this.share?.({ op: 'create', id: session.id, userId, createdAt: now, lastUsedAt: now });
    return session;
  }

  private insert(id: string, userId: number, createdAt: number, lastUsedAt: number): DashboardSession {
    let flash: Flash | null = null;
    const store = this;
    const session: DashboardSession = {
      id, userId, createdAt, lastUsedAt,
      // An accessor, so a flash set by a route reaches the instance that serves the next page.
      get flash() {
        return flash;
      },
      set flash(value: Flash | null) {
        flash = value;
        store.share?.({ op: 'flash', id, flash: value });
      },
    };
    const mine = this.byUser.get(userId) ?? new Set<string>();
    // Sets iterate in insertion order: the first id is the user's oldest session.
    while (mine.size >= this.limits.maxSessionsPerUser) {
      const oldest = mine.values().next().value;
      if (oldest === undefined) break;
      this.destroy(oldest);
    }
    while (this.sessions.size >= this.limits.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.destroy(oldest);
    }
    this.sessions.set(session.id, session);
    mine.add(session.id);
    this.byUser.set(userId, mine);
    return session;
  }

  /** The live session, or undefined when unknown, expired or idle too long (then it is removed). */
  get(id: string): DashboardSession | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.now();
    if (now - session.createdAt >= this.limits.ttlMs || now - session.lastUsedAt >= this.limits.idleMs) {
      this.destroy(id);
      return undefined;
    }
    session.lastUsedAt = now;
    if (this.share && now - (this.sharedTouch.get(id) ?? 0) >= TOUCH_SHARE_MS) {
      this.sharedTouch.set(id, now);
      this.share({ op: 'touch', id, at: now });
    }
    return session;
  }

  /** Whether the session is still live, without counting this as a use (a page left open does not keep it alive). */
  isLive(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    const now = this.clock.now();
    return now - session.createdAt < this.limits.ttlMs && now - session.lastUsedAt < this.limits.idleMs;
  }

  /** Milliseconds until the absolute expiry (the cookie's Max-Age). */
  remainingMs(session: DashboardSession): number {
    return Math.max(0, session.createdAt + this.limits.ttlMs - this.clock.now());
  }

  destroy(id: string): void {
    this.sharedTouch.delete(id);
    this.share?.({ op: 'destroy', id });
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const mine = this.byUser.get(session.userId);
    mine?.delete(id);
    if (mine && mine.size === 0) this.byUser.delete(session.userId);
  }

  /** Returns and clears the one-time messages. */
  takeFlash(session: DashboardSession): Flash | null {
    const flash = session.flash;
    session.flash = null;
    return flash;
  }

  size(): number {
    return this.sessions.size;
  }
}
