import { LIMITS } from './limits';

/**
 * The limits a deployment may need to change, one environment variable each (README table).
 * Defaults are the shipped LIMITS; every value has a range so a typo cannot switch a limit off.
 */
export interface TunableLimits {
  httpBodyBytes: number;
  wsMaxFrameBytes: number;
  wsMessagesPerSecond: number;
  wsMessageBurst: number;
  wsConnectionsPerIp: number;
  wsExtraConnectionsPerUser: number;
  loginWindowMs: number;
  loginFailuresPerAccount: number;
  loginFailuresPerIp: number;
  registrationsPerIp: number;
  tokenFailuresPerIp: number;
  passwordHashConcurrency: number;
  passwordHashQueue: number;
  deviceMessagesPerSecond: number;
  deviceMessageBurst: number;
  deviceUnsolicitedBurst: number;
  deviceUnsolicitedDropsBeforeClose: number;
}

interface Knob {
  env: string;
  key: keyof TunableLimits;
  /** Shipped value, in the variable's unit. */
  fallback: number;
  min: number;
  max: number;
  /** Variable unit → internal unit (seconds → ms). */
  scale?: number;
  meaning: string;
}

const MiB = 1024 * 1024;

/** Order and wording as in the README's configuration table. */
export const LIMIT_KNOBS: readonly Knob[] = [
  { env: 'HTTP_BODY_BYTES', key: 'httpBodyBytes', fallback: LIMITS.httpBodyBytes, min: 4096, max: 16 * MiB, meaning: 'largest HTTP request body (413 above)' },
  { env: 'WS_MAX_FRAME_BYTES', key: 'wsMaxFrameBytes', fallback: LIMITS.wsMaxPayloadBytes, min: 4096, max: 16 * MiB, meaning: 'largest incoming WebSocket frame (close 1009 above)' },
  { env: 'WS_MESSAGES_PER_SECOND', key: 'wsMessagesPerSecond', fallback: LIMITS.wsMessagesPerSecond, min: 1, max: 1_000_000, meaning: 'sustained frames per second per client socket (device sockets: DEVICE_MESSAGES_PER_SECOND)' },
  { env: 'WS_MESSAGE_BURST', key: 'wsMessageBurst', fallback: LIMITS.wsMessageBurst, min: 1, max: 1_000_000, meaning: 'burst of frames per client socket above that rate' },
  { env: 'WS_CONNECTIONS_PER_IP', key: 'wsConnectionsPerIp', fallback: LIMITS.wsConnectionsPerIp, min: 1, max: 1_000_000, meaning: 'open WebSockets per client address (429 above)' },
  { env: 'WS_EXTRA_CONNECTIONS_PER_USER', key: 'wsExtraConnectionsPerUser', fallback: LIMITS.wsExtraConnectionsPerUser, min: 0, max: 1_000_000, meaning: 'open WebSockets per account = 2 × its device limit + this' },
  { env: 'LOGIN_WINDOW_SECONDS', key: 'loginWindowMs', fallback: LIMITS.loginWindowMs / 1000, min: 1, max: 86_400, scale: 1000, meaning: 'window of the login and registration throttles' },
  { env: 'LOGIN_FAILURES_PER_ACCOUNT', key: 'loginFailuresPerAccount', fallback: LIMITS.loginFailuresPerAccount, min: 1, max: 1_000_000, meaning: 'failed logins per account in the window, then growing waits (429)' },
  { env: 'LOGIN_FAILURES_PER_IP', key: 'loginFailuresPerIp', fallback: LIMITS.loginFailuresPerIp, min: 1, max: 1_000_000, meaning: 'failed logins per client address in the window, then growing waits (429)' },
  { env: 'REGISTRATIONS_PER_IP', key: 'registrationsPerIp', fallback: LIMITS.registrationsPerIp, min: 1, max: 1_000_000, meaning: 'account registrations per client address in the window (429 above)' },
  { env: 'TOKEN_FAILURES_PER_IP', key: 'tokenFailuresPerIp', fallback: LIMITS.tokenFailuresPerIp, min: 1, max: 1_000_000, meaning: 'failed API tokens/JWTs per client address in the window (HTTP and WebSocket), then growing waits (429, upgrades refused)' },
  { env: 'PASSWORD_HASH_CONCURRENCY', key: 'passwordHashConcurrency', fallback: LIMITS.passwordHashConcurrency, min: 1, max: 64, meaning: 'password hashes (logins, registrations) computed at once' },
  { env: 'PASSWORD_HASH_QUEUE', key: 'passwordHashQueue', fallback: LIMITS.passwordHashQueue, min: 0, max: 10_000, meaning: 'password hashes waiting for those; more, or a second from one address, get 429 LOGIN_BUSY at once' },
  { env: 'DEVICE_MESSAGES_PER_SECOND', key: 'deviceMessagesPerSecond', fallback: LIMITS.deviceMessagesPerSecond, min: 1, max: 1_000_000, meaning: 'sustained frames per second per device socket, then the socket is closed 1008 (never thinned out)' },
  { env: 'DEVICE_MESSAGE_BURST', key: 'deviceMessageBurst', fallback: LIMITS.deviceMessageBurst, min: 1, max: 1_000_000, meaning: 'burst of frames per device socket above that rate' },
  { env: 'DEVICE_UNSOLICITED_BURST', key: 'deviceUnsolicitedBurst', fallback: LIMITS.deviceUnsolicitedBurst, min: 1, max: 1_000_000, meaning: 'device frames answering no command in flight that are still kept (1 more per second); later ones are dropped unread' },
  { env: 'DEVICE_UNSOLICITED_DROPS', key: 'deviceUnsolicitedDropsBeforeClose', fallback: LIMITS.deviceUnsolicitedDropsBeforeClose, min: 1, max: 1_000_000, meaning: 'such frames dropped before the device socket is closed 1008' },
];

/** Reads every knob; `readInt` is config.ts's checked integer reader (throws ConfigError). */
export function readTunableLimits(
  env: NodeJS.ProcessEnv,
  readInt: (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) => number,
): TunableLimits {
  const limits = {} as TunableLimits;
  for (const knob of LIMIT_KNOBS) limits[knob.key] = readInt(env, knob.env, knob.fallback, knob.min, knob.max) * (knob.scale ?? 1);
  return limits;
}
