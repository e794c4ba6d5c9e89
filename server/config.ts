import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ClusterConfigError, readClusterConfig, type ClusterConfig } from './backplane/cluster-config';
import { readTunableLimits, type TunableLimits } from './config-limits';
import { DEFAULTS } from './limits';
import { parseProxyEntry, type TrustProxySetting } from './net/client-address';

export type ApiEnv = 'development' | 'production';

export interface RelayConfig {
  port: number;
  host: string;
  databaseFile: string;
  /** 32+ bytes; never logged. Per-purpose keys are derived from it (see auth/keys.ts). */
  secretKey: Uint8Array;
  /** Where the secret came from, for the startup message (never the value). */
  secretSource: 'env' | 'file' | 'generated';
  apiEnv: ApiEnv;
  deviceLimit: number;
  queueTtlMs: number;
  queueCap: number;
  inFlightRowDelayMs: number;
  replyRowDelayMs: number;
  jwtTtlSeconds: number;
  /** Origins accepted on WS upgrades besides the relay's own; requests without Origin (devices, CLIs) pass. */
  allowedOrigins: string[];
  logLevel: string;
  /** TRUST_PROXY: whose X-Forwarded-For gives the client address (login throttle, socket caps). */
  trustProxy: TrustProxySetting;
  /** Sizes, rates, socket caps and throttles a deployment may tune (config-limits.ts). */
  limits: TunableLimits;
  /** Scale-out (issue 15): REDIS_URL, INSTANCE_ID and their timeouts; absent = one process. */
  cluster?: ClusterConfig;
}

/** A configuration mistake: main.ts prints the message and exits non-zero. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const SECRET_FILE_NAME = 'secret.key';
const MIN_SECRET_BYTES = 32;
/** Longest proxy chain TRUST_PROXY may name as a hop count. */
const MAX_PROXY_HOPS = 10;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readSecretFile(path: string): Uint8Array {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/i.test(text)) throw new ConfigError(`${path} does not hold a hex secret of at least 32 bytes`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function loadSecret(env: NodeJS.ProcessEnv, apiEnv: ApiEnv, dataDir: string): Pick<RelayConfig, 'secretKey' | 'secretSource'> {
  const explicit = env.SECRET_KEY;
  if (explicit !== undefined && explicit !== '') {
    const bytes = new TextEncoder().encode(explicit);
    if (bytes.length < MIN_SECRET_BYTES) throw new ConfigError(`SECRET_KEY must be at least ${MIN_SECRET_BYTES} characters`);
    return { secretKey: bytes, secretSource: 'env' };
  }
  if (apiEnv === 'production') throw new ConfigError('SECRET_KEY must be set when API_ENV=production');
  const path = join(dataDir, SECRET_FILE_NAME);
  if (existsSync(path)) return { secretKey: readSecretFile(path), secretSource: 'file' };
  const secret = randomBytes(MIN_SECRET_BYTES);
  // 'wx' fails if another process created it meanwhile; mode applies at creation (umask may narrow it).
  writeFileSync(path, secret.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secretKey: new Uint8Array(secret), secretSource: 'generated' };
}

function readTrustProxy(env: NodeJS.ProcessEnv): TrustProxySetting {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > MAX_PROXY_HOPS) throw new ConfigError(`TRUST_PROXY hop count must be between 1 and ${MAX_PROXY_HOPS}, got ${hops}`);
    return hops;
  }
  const entries = raw.split(',').map((s) => s.trim());
  for (const entry of entries) {
    if (parseProxyEntry(entry) === null) {
      throw new ConfigError(`TRUST_PROXY must be a hop count like 1 or a comma-separated list of proxy addresses (IP or IP/prefix), got "${entry}"`);
    }
  }
  return entries;
}

function readCluster(env: NodeJS.ProcessEnv): ClusterConfig {
  try {
    return readClusterConfig(env, readInt);
  } catch (error) {
    if (error instanceof ClusterConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Reads and checks the whole environment once; throws ConfigError with one clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const apiEnvRaw = env.API_ENV ?? 'development';
  if (apiEnvRaw !== 'development' && apiEnvRaw !== 'production') {
    throw new ConfigError(`API_ENV must be "development" or "production", got "${apiEnvRaw}"`);
  }
  const apiEnv: ApiEnv = apiEnvRaw;
  const port = readInt(env, 'CLOUD_PORT', DEFAULTS.port, 0, 65535);
  const host = env.HOST === undefined || env.HOST === '' ? DEFAULTS.host : env.HOST.trim();
  if (!/^[0-9A-Za-z.:\-[\]]+$/.test(host)) throw new ConfigError(`HOST is not a valid host name or address: "${host}"`);
  const databaseFile = resolve(env.DATABASE_FILE === undefined || env.DATABASE_FILE === '' ? DEFAULTS.databaseFile : env.DATABASE_FILE);
  const dataDir = dirname(databaseFile);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError(`cannot create data directory ${dataDir}: ${(error as Error).message}`);
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const origin of allowedOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new ConfigError(`ALLOWED_ORIGINS entry is not an origin like https://host: "${origin}"`);
  }
  return {
    port,
    host,
    databaseFile,
    ...loadSecret(env, apiEnv, dataDir),
    apiEnv,
    deviceLimit: readInt(env, 'DEVICE_LIMIT', DEFAULTS.deviceLimit, 1, 10_000),
    queueTtlMs: readInt(env, 'QUEUE_TTL_SECONDS', DEFAULTS.queueTtlSeconds, 1, 7 * 24 * 3600) * 1000,
    queueCap: readInt(env, 'QUEUE_CAP', DEFAULTS.queueCap, 1, 10_000),
    inFlightRowDelayMs: readInt(env, 'INFLIGHT_ROW_DELAY_MS', DEFAULTS.inFlightRowDelayMs, 0, 1000),
    replyRowDelayMs: readInt(env, 'REPLY_ROW_DELAY_MS', DEFAULTS.replyRowDelayMs, 0, 1000),
    jwtTtlSeconds: readInt(env, 'JWT_TTL_SECONDS', DEFAULTS.jwtTtlSeconds, 60, 30 * 24 * 3600),
    allowedOrigins,
    logLevel,
    trustProxy: readTrustProxy(env),
    limits: readTunableLimits(env, readInt),
    cluster: readCluster(env),
  };
}
