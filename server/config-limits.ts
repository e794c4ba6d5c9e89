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
  wsSendBufferBytes: number;
  wsClientFrameCeilingBytes: number;
  endpointsPerAccount: number;
  messageTtlMs: number;
  messageQueueCap: number;
  messagesInFlight: number;
  messageContentBytes: number;
  eventContentBytes: number;
  eventsPerSecond: number;
  eventBurst: number;
  subscriptionsPerSocket: number;
  historyMaxEntries: number;
  historyMaxAgeMs: number;
  dashboardStreamsPerAccount: number;
  refreshTokenTtlMs: number;
  sessionMaxAgeMs: number;
  sessionsPerAccount: number;
  tokenExpirySweepMs: number;
  pairingCodeTtlMs: number;
  pairingCodesPerAccount: number;
  pairingFailuresPerAccount: number;
  pairingFailuresPerAddress: number;
  pairingFailuresGlobal: number;
  pairingFailuresPerCode: number;
  claimCodeTtlMs: number;
  claimSocketTimeoutMs: number;
  claimSocketsPerIp: number;
  claimSocketsTotal: number;
  claimAttemptsPerAccount: number;
  claimAttemptsPerIp: number;
  claimAttemptsPerMinute: number;
  claimCodeMaxFailures: number;
  parkedReplies: number;
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
  { env: 'WS_MAX_FRAME_BYTES', key: 'wsMaxFrameBytes', fallback: LIMITS.wsMaxPayloadBytes, min: 4096, max: 16 * MiB, meaning: 'largest WebSocket frame handled (64 KB: the signaling channel); above it device sockets are closed 1009 and client sockets answered frame_too_large' },
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
  { env: 'WS_SEND_BUFFER_BYTES', key: 'wsSendBufferBytes', fallback: LIMITS.wsMaxBufferedBytes, min: 16 * 1024, max: 256 * MiB, meaning: 'unsent bytes one socket may hold (a client that stops reading); above it, or not drained in 10 s, the socket is closed 1013 and the others are not slowed' },
  { env: 'WS_CLIENT_FRAME_CEILING_BYTES', key: 'wsClientFrameCeilingBytes', fallback: LIMITS.wsClientFrameCeilingBytes, min: 4096, max: 64 * MiB, meaning: 'client sockets: a frame above WS_MAX_FRAME_BYTES and up to this is answered frame_too_large and the socket stays open; above this close 1009 (device sockets: 1009 above WS_MAX_FRAME_BYTES)' },
  { env: 'ENDPOINTS_PER_ACCOUNT', key: 'endpointsPerAccount', fallback: LIMITS.endpointsPerAccount, min: 1, max: 100_000, meaning: 'registered endpoints (apps, CLIs, hosts, …) per account besides its boards (403 endpoint_limit above)' },
  { env: 'MESSAGE_TTL_SECONDS', key: 'messageTtlMs', fallback: LIMITS.messageTtlMs / 1000, min: 1, max: 90 * 86_400, scale: 1000, meaning: 'how long a message for an offline endpoint is stored (then its sender is told `expired`)' },
  { env: 'MESSAGE_QUEUE_CAP', key: 'messageQueueCap', fallback: LIMITS.messageQueueCap, min: 1, max: 100_000, meaning: 'messages stored per recipient endpoint, then mailbox_full' },
  { env: 'MESSAGES_IN_FLIGHT', key: 'messagesInFlight', fallback: LIMITS.messagesInFlight, min: 1, max: 10_000, meaning: 'messages written to one endpoint and not yet acked; later ones wait in its mailbox, in order' },
  { env: 'MESSAGE_CONTENT_BYTES', key: 'messageContentBytes', fallback: LIMITS.messageContentBytes, min: 256, max: 16 * MiB, meaning: 'largest `content` of a message, as JSON' },
  { env: 'EVENT_CONTENT_BYTES', key: 'eventContentBytes', fallback: LIMITS.eventContentBytes, min: 256, max: 16 * MiB, meaning: 'largest `content` of an event, as JSON' },
  { env: 'EVENTS_PER_SECOND', key: 'eventsPerSecond', fallback: LIMITS.eventsPerSecond, min: 1, max: 1_000_000, meaning: 'sustained events per second one socket may publish (rate_limited above)' },
  { env: 'EVENT_BURST', key: 'eventBurst', fallback: LIMITS.eventBurst, min: 1, max: 1_000_000, meaning: 'burst of events per socket above that rate' },
  { env: 'SUBSCRIPTIONS_PER_SOCKET', key: 'subscriptionsPerSocket', fallback: LIMITS.subscriptionsPerSocket, min: 1, max: 100_000, meaning: 'endpoints one socket may subscribe to (subscription_limit above)' },
  { env: 'HISTORY_MAX_ENTRIES', key: 'historyMaxEntries', fallback: LIMITS.historyMaxEntries, min: 10, max: 1_000_000, meaning: 'history (audit log) entries kept per account; the oldest go first' },
  { env: 'HISTORY_MAX_AGE_SECONDS', key: 'historyMaxAgeMs', fallback: LIMITS.historyMaxAgeMs / 1000, min: 60, max: 3650 * 86_400, scale: 1000, meaning: 'history entries older than this are deleted' },
  { env: 'DASHBOARD_STREAMS_PER_ACCOUNT', key: 'dashboardStreamsPerAccount', fallback: LIMITS.dashboardStreamsPerAccount, min: 1, max: 10_000, meaning: 'dashboard pages with live presence open at once per account (more get static pages)' },
  { env: 'REFRESH_TOKEN_TTL_SECONDS', key: 'refreshTokenTtlMs', fallback: LIMITS.refreshTokenTtlMs / 1000, min: 60, max: 3650 * 86_400, scale: 1000, meaning: 'a refresh token unused this long is dead (log in again); each refresh hands out a new one' },
  { env: 'SESSION_MAX_AGE_SECONDS', key: 'sessionMaxAgeMs', fallback: LIMITS.sessionMaxAgeMs / 1000, min: 60, max: 3650 * 86_400, scale: 1000, meaning: 'a login session (refresh-token family) ends this long after its password login, however often it is refreshed' },
  { env: 'SESSIONS_PER_ACCOUNT', key: 'sessionsPerAccount', fallback: LIMITS.sessionsPerAccount, min: 1, max: 10_000, meaning: 'live login sessions per account; a login beyond it ends the oldest (its sockets are closed)' },
  { env: 'TOKEN_EXPIRY_SWEEP_MS', key: 'tokenExpirySweepMs', fallback: LIMITS.tokenExpirySweepMs, min: 100, max: 60_000, meaning: 'how often sockets opened with an access JWT are checked against its expiry (one sweep for all); they outlive it by at most this' },
  { env: 'PAIRING_CODE_TTL_SECONDS', key: 'pairingCodeTtlMs', fallback: LIMITS.pairingCodeTtlMs / 1000, min: 30, max: 3600, scale: 1000, meaning: 'how long a pairing code is valid' },
  { env: 'PAIRING_CODES_PER_ACCOUNT', key: 'pairingCodesPerAccount', fallback: LIMITS.pairingCodesPerAccount, min: 1, max: 100, meaning: 'pairing codes waiting at once per account (code_limit above)' },
  { env: 'PAIRING_FAILURES_PER_ACCOUNT', key: 'pairingFailuresPerAccount', fallback: LIMITS.pairingFailuresPerAccount, min: 1, max: 10_000, meaning: 'wrong pairing codes per account per minute; beyond it every code fails (invalid_code) until the minute is over' },
  { env: 'PAIRING_FAILURES_PER_ADDRESS', key: 'pairingFailuresPerAddress', fallback: LIMITS.pairingFailuresPerAddress, min: 1, max: 10_000, meaning: 'wrong pairing codes per client address per minute, likewise' },
  { env: 'PAIRING_FAILURES_GLOBAL', key: 'pairingFailuresGlobal', fallback: LIMITS.pairingFailuresGlobal, min: 1, max: 1_000_000, meaning: 'wrong pairing codes relay-wide per minute, likewise' },
  { env: 'PAIRING_FAILURES_PER_CODE', key: 'pairingFailuresPerCode', fallback: LIMITS.pairingFailuresPerCode, min: 1, max: 1000, meaning: 'wrong codes the account may enter while a code of it waits; then that code is burned (never valid again)' },
  { env: 'CLAIM_CODE_TTL_SECONDS', key: 'claimCodeTtlMs', fallback: LIMITS.claimCodeTtlMs / 1000, min: 30, max: 86_400, scale: 1000, meaning: 'a board\'s 6-digit claim code is valid this long (single use; a new one follows while its claim socket stays)' },
  { env: 'CLAIM_SOCKET_TIMEOUT_SECONDS', key: 'claimSocketTimeoutMs', fallback: LIMITS.claimSocketTimeoutMs / 1000, min: 1, max: 86_400, scale: 1000, meaning: 'an unclaimed claim socket is closed (4008) after this long; the board connects again' },
  { env: 'CLAIM_SOCKETS_PER_IP', key: 'claimSocketsPerIp', fallback: LIMITS.claimSocketsPerIp, min: 1, max: 1_000_000, meaning: 'open claim sockets per client address (429 above)' },
  { env: 'CLAIM_SOCKETS_TOTAL', key: 'claimSocketsTotal', fallback: LIMITS.claimSocketsTotal, min: 1, max: 100_000, meaning: 'open claim sockets on the whole relay (503 above); also bounds live codes' },
  { env: 'CLAIM_ATTEMPTS_PER_ACCOUNT', key: 'claimAttemptsPerAccount', fallback: LIMITS.claimAttemptsPerAccount, min: 1, max: 10_000, meaning: 'claim attempts per account per minute (429 above, before the code is looked at)' },
  { env: 'CLAIM_ATTEMPTS_PER_IP', key: 'claimAttemptsPerIp', fallback: LIMITS.claimAttemptsPerIp, min: 1, max: 10_000, meaning: 'claim attempts per client address per minute (429 above)' },
  { env: 'CLAIM_ATTEMPTS_PER_MINUTE', key: 'claimAttemptsPerMinute', fallback: LIMITS.claimAttemptsPerMinute, min: 1, max: 100_000, meaning: 'claim attempts on the whole relay per minute (429 above)' },
  { env: 'CLAIM_CODE_MAX_FAILURES', key: 'claimCodeMaxFailures', fallback: LIMITS.claimCodeMaxFailures, min: 1, max: 10_000, meaning: 'wrong claims relay-wide a live code outlasts; then it is burned and its board gets a new one' },
  { env: 'PARKED_REPLIES', key: 'parkedReplies', fallback: LIMITS.parkedReplies, min: 0, max: 1_000_000, meaning: 'device replies for HTTP pulling held in memory at once while they wait up to REPLY_ROW_DELAY_MS for their pull; beyond it a reply is written at once (0: always)' },
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
