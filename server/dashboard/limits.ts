/** Bounds of the server-rendered dashboard (sessions and forms), named in one place. */
export const DASHBOARD_LIMITS = {
  /** Absolute session lifetime: the user logs in again after this, however active. */
  sessionTtlMs: 8 * 3600_000,
  /** A session unused for this long ends early. */
  sessionIdleMs: 2 * 3600_000,
  /** Sessions kept in memory; beyond this the oldest is dropped (its user just logs in again). */
  maxSessions: 10_000,
  /** Concurrent sessions per user; logging in once more ends that user's oldest session. */
  maxSessionsPerUser: 10,
  /** Lifetime of the pre-login CSRF cookie that protects the login and register forms. */
  formCookieTtlMs: 3600_000,
  /** Longest value accepted in any dashboard form field (usernames, names, ids, tokens). */
  fieldMaxLength: 256,
  /** Form bodies are tiny; anything larger is refused before parsing (413 page). */
  formBodyBytes: 4 * 1024,
  /** A sealed command from the page (POST /dashboard/command): a v1.0 packet is at most ~2.2 KB as JSON. */
  commandBodyBytes: 4 * 1024,
} as const;
