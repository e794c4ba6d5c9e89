import type { Principal } from '../auth/auth-service';
import type { Clock } from '../time';

/** What is needed to end a socket. */
export interface Closable {
  close(code: number, reason: string): void;
}

interface Tracked {
  socket: Closable;
  expiresAt: number;
  sessionId: string | null;
  bucket: number;
}

/**
 * Sockets opened with an access JWT (issue 14, catalogue B17): each lives no longer than its token,
 * and all of a login session's sockets close when the session is revoked. One sweep every
 * TOKEN_EXPIRY_SWEEP_MS closes the expired ones, instead of a timer per socket; sockets are kept
 * in buckets of that width by expiry, so a sweep looks only at buckets that are due.
 */
export class TokenSockets {
  private readonly buckets = new Map<number, Set<Tracked>>();
  private readonly bySession = new Map<string, Set<Tracked>>();

  constructor(private readonly clock: Clock, private readonly sweepMs: number) {}

  /** Starts watching the socket; returns the function to call when it closes. */
  track(socket: Closable, principal: Principal): () => void {
    if (principal.expiresAt === null) return () => undefined;
    const entry: Tracked = { socket, expiresAt: principal.expiresAt, sessionId: principal.sessionId, bucket: Math.floor(principal.expiresAt / this.sweepMs) };
    add(this.buckets, entry.bucket, entry);
    if (entry.sessionId !== null) add(this.bySession, entry.sessionId, entry);
    return () => this.forget(entry);
  }

  /** Closes every socket whose token has expired; returns how many. */
  sweep(code: number, reason: string): number {
    const now = this.clock.now();
    const due = Math.floor(now / this.sweepMs);
    let closed = 0;
    for (const [bucket, entries] of [...this.buckets]) {
      if (bucket > due) continue;
      for (const entry of [...entries]) {
        if (entry.expiresAt > now) continue;
        this.forget(entry);
        entry.socket.close(code, reason);
        closed += 1;
      }
    }
    return closed;
  }

  /** Closes every socket opened with an access token of the session; returns how many. */
  closeSession(sessionId: string, code: number, reason: string): number {
    const entries = [...(this.bySession.get(sessionId) ?? [])];
    for (const entry of entries) {
      this.forget(entry);
      entry.socket.close(code, reason);
    }
    return entries.length;
  }

  size(): number {
    let n = 0;
    for (const entries of this.buckets.values()) n += entries.size;
    return n;
  }

  private forget(entry: Tracked): void {
    remove(this.buckets, entry.bucket, entry);
    if (entry.sessionId !== null) remove(this.bySession, entry.sessionId, entry);
  }
}

function add<K>(map: Map<K, Set<Tracked>>, key: K, entry: Tracked): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(entry);
}

function remove<K>(map: Map<K, Set<Tracked>>, key: K, entry: Tracked): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(entry);
  if (set.size === 0) map.delete(key);
}
