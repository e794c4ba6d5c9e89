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

  constructor(private readonly clock: Clock, limits: Partial<SessionLimits> = {}) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
  }

  create(userId: number): DashboardSession {
    const now = this.clock.now();
    const session: DashboardSession = { id: randomBytes(32).toString('base64url'), userId, createdAt: now, lastUsedAt: now, flash: null };
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
