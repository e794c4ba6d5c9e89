import { hostname } from 'node:os';

/**
 * Scale-out settings (issue 15), read with the rest of the environment (config.ts). Without
 * REDIS_URL the relay is one process with the in-process backplane, as before.
 */
export interface ClusterConfig {
  /** REDIS_URL: redis://[user:password@]host:port[/db] (rediss:// for TLS). */
  redisUrl: string | null;
  /** INSTANCE_ID: this relay's name among the instances (logs, /api/health); default the host name. */
  instanceId: string;
  /** REDIS_REQUEST_TIMEOUT_MS: how long an instance waits for another to answer (delivery, commands, claims and pairing codes held there). */
  requestTimeoutMs: number;
  /** REDIS_INSTANCE_TTL_MS: an instance whose heartbeat is older than this is dead (its connections are offline). */
  instanceTtlMs: number;
  /** REDIS_CONNECT_TIMEOUT_MS: at start, how long to try Redis before refusing to start. */
  connectTimeoutMs: number;
  /** DATABASE_URL: postgres://user:password@host:port/db selects the PostgreSQL store (default: SQLite at DATABASE_FILE). */
  databaseUrl: string | null;
  /** PG_QUERY_TIMEOUT_MS: longest a query may take (the store waits for it). */
  pgQueryTimeoutMs: number;
  /** PG_CONNECT_TIMEOUT_MS: longest a (re)connection may take. */
  pgConnectTimeoutMs: number;
  /** PG_CLAIM_LEASE_MS: how long a queued command written to a board stays claimed by that instance. */
  pgClaimLeaseMs: number;
}

type ReadInt = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) => number;

export class ClusterConfigError extends Error {}

const INSTANCE_ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function readClusterConfig(env: NodeJS.ProcessEnv, readInt: ReadInt): ClusterConfig {
  const rawUrl = (env.REDIS_URL ?? '').trim();
  let redisUrl: string | null = null;
  if (rawUrl !== '') {
    let parsed: URL;
    try {
      parsed = new URL(rawUrl);
    } catch {
      throw new ClusterConfigError('REDIS_URL is not a URL like redis://host:6379');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new ClusterConfigError(`REDIS_URL must start with redis:// or rediss://, got ${parsed.protocol}//`);
    }
    if (parsed.hostname === '') throw new ClusterConfigError('REDIS_URL has no host');
    redisUrl = rawUrl;
  }
  const fallbackId = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'relay';
  const instanceId = (env.INSTANCE_ID ?? '').trim() || fallbackId;
  if (!INSTANCE_ID_RE.test(instanceId)) throw new ClusterConfigError(`INSTANCE_ID must be 1-64 characters of A-Z a-z 0-9 _ . -, got "${instanceId}"`);
  const rawDb = (env.DATABASE_URL ?? '').trim();
  let databaseUrl: string | null = null;
  if (rawDb !== '') {
    let parsed: URL;
    try {
      parsed = new URL(rawDb);
    } catch {
      throw new ClusterConfigError('DATABASE_URL is not a URL like postgres://user@host:5432/wakelink');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new ClusterConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got ${parsed.protocol}// (SQLite: set DATABASE_FILE instead)`);
    }
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw new ClusterConfigError('DATABASE_URL has no host');
    databaseUrl = rawDb;
  }
  return {
    databaseUrl,
    pgQueryTimeoutMs: readInt(env, 'PG_QUERY_TIMEOUT_MS', 5000, 100, 120_000),
    pgConnectTimeoutMs: readInt(env, 'PG_CONNECT_TIMEOUT_MS', 2000, 100, 60_000),
    pgClaimLeaseMs: readInt(env, 'PG_CLAIM_LEASE_MS', 5000, 500, 3_600_000),
    redisUrl,
    instanceId,
    requestTimeoutMs: readInt(env, 'REDIS_REQUEST_TIMEOUT_MS', 1000, 50, 60_000),
    instanceTtlMs: readInt(env, 'REDIS_INSTANCE_TTL_MS', 3000, 300, 60_000),
    connectTimeoutMs: readInt(env, 'REDIS_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
  };
}
