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
  /** REDIS_REQUEST_TIMEOUT_MS: how long an instance waits for another to answer (delivery, commands). */
  requestTimeoutMs: number;
  /** REDIS_INSTANCE_TTL_MS: an instance whose heartbeat is older than this is dead (its connections are offline). */
  instanceTtlMs: number;
  /** REDIS_CONNECT_TIMEOUT_MS: at start, how long to try Redis before refusing to start. */
  connectTimeoutMs: number;
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
  return {
    redisUrl,
    instanceId,
    requestTimeoutMs: readInt(env, 'REDIS_REQUEST_TIMEOUT_MS', 1000, 50, 60_000),
    instanceTtlMs: readInt(env, 'REDIS_INSTANCE_TTL_MS', 3000, 300, 60_000),
    connectTimeoutMs: readInt(env, 'REDIS_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
  };
}
