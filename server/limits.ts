/**
 * Every size, queue, rate and timeout of the relay, named in one place (catalogue C3).
 * Values that operators may tune are defaults for `config.ts`; the rest are fixed bounds.
 */
export const LIMITS = {
  /** HTTP bodies: v1.0 packets are under 2 KiB; 16 KiB leaves room for JSON without inviting abuse (B2). */
  httpBodyBytes: 16 * 1024,
  /** Incoming WS frames: larger frames close the socket with 1009 (B1). */
  wsMaxPayloadBytes: 64 * 1024,
  /** Frames sent TO devices: ESP8266 has ~32 KB of heap; one frame, at most 1 KiB (F17). */
  deviceFrameBytes: 1024,
  /** Socket send buffer above which a peer counts as a slow consumer and is closed (F7). */
  wsMaxBufferedBytes: 1024 * 1024,
  /** A socket with unsent data that has not drained within this is a slow consumer too (F7, aedes' drainTimeout). */
  wsDrainTimeoutMs: 10_000,
  /** After the 1013 close frame, a slow consumer gets this long to finish the close before it is cut (F7). */
  wsSlowCloseGraceMs: 2_000,
  /** How long a fresh WS connection may take to send its auth frame (v1.0: 10 s). */
  wsAuthTimeoutMs: 10_000,
  /** Server ping interval; a peer that has not answered by the next ping is terminated (C4). */
  wsPingIntervalMs: 30_000,
  /**
   * Open sockets per remote IP (catalogue C3). Generous: a NAT'd site, or the L1 load test
   * (stretch goal 10,000 devices), runs many devices behind one address.
   */
  wsConnectionsPerIp: 16_384,
  /**
   * Open sockets per user: one device socket and one client socket per device the user may own,
   * plus this many more (catalogue C3 suggests 10 for the default 5-device account).
   */
  wsExtraConnectionsPerUser: 16,
  /** Per-connection message rate: token bucket (C3: 20/s sustained, 50 burst). */
  wsMessagesPerSecond: 20,
  wsMessageBurst: 50,
  /** Rate-limit violations tolerated before the socket is closed with 1008 (F8). */
  wsRateStrikes: 20,
  /**
   * Device sockets are not limited like clients (a dropped reply would shift the in-flight FIFO),
   * so frames that answer no command in flight on that socket get their own budget (F8, F14):
   * this many at once, refilled at this rate, are handled (a reply the relay lost after a
   * restart is still kept for the owner's pull); beyond it they are dropped unread and counted,
   * and after this many drops the socket is closed 1008.
   */
  deviceUnsolicitedBurst: 20,
  deviceUnsolicitedPerSecond: 1,
  deviceUnsolicitedDropsBeforeClose: 100,
  /**
   * All frames of one device socket, generously above what answering its in-flight commands
   * (at most outstandingPerDevice at once) needs; beyond it the socket is closed 1008, never
   * thinned out, so the FIFO stays intact (its commands are re-sent on reconnect, F4).
   */
  deviceMessagesPerSecond: 200,
  deviceMessageBurst: 400,
  /** Long-poll cap of v1.0 `/api/pull`. */
  pullMaxWaitMs: 30_000,
  /** Most responses one pull returns (older ones stay for the next pull). */
  pullMaxMessages: 100,
  /** Responses kept per device for HTTP pulling; the oldest is dropped beyond this. */
  storedResponsesPerDevice: 64,
  /**
   * Replies that could not be written (database locked or full, F9/F10), held in memory for the
   * owner's next pull; the oldest is dropped beyond this, per device and in devices held.
   */
  unstoredRepliesPerDevice: 16,
  unstoredReplyDevices: 256,
  /** Replies waiting in memory for their pull at once (REPLY_ROW_DELAY_MS); beyond it a reply is written at once. */
  parkedReplies: 10_000,
  /**
   * Stored replies whose HTTP sender is remembered (item 6), so another client's pull does not take
   * them; beyond this the oldest is forgotten and becomes pullable by any client of the owner.
   */
  replyOwnersRemembered: 16_384,
  /** Commands that ended without a reply (`expired`/`undelivered`) kept per device for their HTTP sender's next pull. */
  endedCommandsPerDevice: 16,
  /**
   * In-flight commands (written to a device, not yet answered) remembered per device for response
   * routing and re-sending; beyond this the oldest is abandoned.
   */
  outstandingPerDevice: 64,
  /**
   * Times one command is written to a device socket (F4: re-sent after the device dropped before
   * answering). After the last attempt it is abandoned, so a command that crashes the device
   * cannot loop forever.
   */
  deliveryAttempts: 3,
  /** Cleanup sweep of expired queue rows and stored responses. */
  sweepIntervalMs: 30_000,
  /** Identifier shapes (device ids are printed by the firmware, e.g. `WL35080814`). */
  idMaxLength: 64,
  clientIdMaxLength: 128,
  usernameMinLength: 3,
  usernameMaxLength: 32,
  passwordMinLength: 8,
  passwordMaxLength: 128,
  tokenNameMaxLength: 64,
  /** API tokens a user may hold at once. */
  apiTokensPerUser: 20,
  /** Login throttling (B22, L6): failures per account / per IP within the window. */
  loginWindowMs: 15 * 60_000,
  loginFailuresPerAccount: 5,
  loginFailuresPerIp: 30,
  /** Registrations per IP within the login window. */
  registrationsPerIp: 10,
  /**
   * Failed API token / JWT authentications per IP within the login window (HTTP and WS); beyond it
   * the address is refused with 429 before any token is checked, with the same backoff as logins.
   * Tokens carry 256 random bits, so the bound only has to stop bulk guessing, not be tight.
   */
  tokenFailuresPerIp: 100,
  /**
   * Password hashes (scrypt, ~100 ms on the libuv pool) running at once, waiting, and held by one
   * client address; anything beyond is answered 429 LOGIN_BUSY at once (L6).
   */
  passwordHashConcurrency: 2,
  passwordHashQueue: 16,
  /** One: a flooding address holds one hash slot at most, so another address always finds one. */
  passwordHashesPerIp: 1,
  /** Throttle bookkeeping entries kept in memory before the oldest are evicted. */
  throttleMaxEntries: 10_000,
  /** Exponential backoff ceiling once an account is over its failure budget. */
  loginMaxBackoffMs: 15 * 60_000,
  /** `last_used` of API tokens is written at most this often per token. */
  tokenTouchIntervalMs: 60_000,
  /**
   * Device activity (`last_seen`, last request counter, poll counts) is collected in memory and
   * written at most this often, in one transaction: statistics, not acknowledged commands (C1),
   * so a power cut may lose at most this much of them; readers overlay the pending values.
   */
  activityFlushMs: 1_000,
  /**
   * Per-request logging is off (two redacted lines per request cost ~20 % of the relay's busy
   * time); a request answered with an error or slower than this is logged, once.
   */
  slowRequestLogMs: 1_000,
  /**
   * Authenticated API tokens and JWTs remembered (by hash) so repeated requests skip the store;
   * a revoked token is forgotten at once, anything else is re-checked after the TTL.
   */
  authCacheEntries: 4_096,
  authCacheTtlMs: 30_000,
  /** SQLite busy timeout (better-sqlite3 `timeout`). */
  sqliteBusyTimeoutMs: 2_000,
  /** "Online" window for v1.0 stats (`last_seen` within 5 min). */
  onlineWindowMs: 5 * 60_000,
  /** Grace for graceful shutdown before main.ts gives up and exits non-zero. */
  shutdownTimeoutMs: 10_000,

  // The routing core (issue 13): endpoints, events, messages, signaling, history.
  /**
   * Client sockets: frames above wsMaxPayloadBytes (the 64 KB of the signaling channel) up to this
   * are answered `frame_too_large` and the socket stays usable; above this the socket is closed 1009.
   */
  wsClientFrameCeilingBytes: 256 * 1024,
  /** Registered endpoints per account besides its boards (boards are bounded by the device limit). */
  endpointsPerAccount: 32,
  endpointNameMaxLength: 64,
  /** Stored endpoint-to-endpoint messages: how long one waits for its recipient, and how many may wait per recipient. */
  messageTtlMs: 24 * 3600_000,
  messageQueueCap: 100,
  /** Messages written to one endpoint's socket and not yet acked; more wait in its mailbox (flow control, like MQTT's inflight). */
  messagesInFlight: 32,
  /** JSON size of a message's `content` and of an event's `content` (boards send sealed v1.0 envelopes of about 1.2 KB). */
  messageContentBytes: 32 * 1024,
  eventContentBytes: 4 * 1024,
  /** Events one socket may publish: sustained per second and burst (token bucket). */
  eventsPerSecond: 10,
  eventBurst: 30,
  /** Endpoints one socket may subscribe to by id (scopes like "boards" count as one). */
  subscriptionsPerSocket: 256,
  /** History (audit log): entries kept per account, and for how long. */
  historyMaxEntries: 10_000,
  historyMaxAgeMs: 30 * 86_400_000,
  historyPageMax: 200,
  /**
   * History entries are written in batches: at most this long after the frame they record, or
   * once this many wait. A relay killed in between loses those audit rows (never a command: its
   * queue row is durable); the buffer never holds more than twice this many.
   */
  historyFlushMs: 250,
  historyBufferEntries: 500,
  /** A refused history batch is retried after historyFlushMs, doubling per refusal up to this. */
  historyRetryMaxMs: 8_000,
  /** Dashboard live-presence streams (server-sent events) open at once per account. */
  dashboardStreamsPerAccount: 8,

  // Login sessions and pairing (issue 14).
  /** A refresh token unused this long is dead; every rotation starts a new one. */
  refreshTokenTtlMs: 30 * 86_400_000,
  /** A login session ends this long after its password login, however often it is refreshed. */
  sessionMaxAgeMs: 90 * 86_400_000,
  /** Live login sessions per account; a login beyond it ends the oldest. */
  sessionsPerAccount: 20,
  /**
   * How often sockets opened with an access JWT are checked against its expiry: one sweep for all
   * of them instead of a timer each; a socket outlives its token by at most this.
   */
  tokenExpirySweepMs: 1_000,
  /** Pairing codes: how long one is valid, and how many may wait per account at once. */
  pairingCodeTtlMs: 10 * 60_000,
  pairingCodesPerAccount: 4,
  /**
   * Wrong pairing codes tolerated per minute: per account, per client address, and relay-wide;
   * beyond them every attempt fails (the same error) until the minute is over. A live code that
   * takes this many wrong guesses while it waits (any guess of the account, since the code is
   * unknown to the guesser) is burned.
   */
  pairingFailuresPerAccount: 10,
  pairingFailuresPerAddress: 10,
  pairingFailuresGlobal: 200,
  pairingFailuresPerCode: 5,
  // Claiming boards with a code (issue 14).
  /** A claim code is valid this long (and is sent again, new, while its socket stays). */
  claimCodeTtlMs: 10 * 60_000,
  /** An unclaimed claim socket is closed after this long (the board connects again for a new code). */
  claimSocketTimeoutMs: 10 * 60_000,
  /** Open claim sockets per client address, and on the whole relay. */
  claimSocketsPerIp: 8,
  claimSocketsTotal: 2_000,
  /** Frames a board may send on its claim socket (it needs none); more closes it 1008. */
  claimSocketFrames: 8,
  /** Largest frame accepted on a claim socket (it is closed 1009 above). */
  claimSocketFrameBytes: 1024,
  /**
   * Claim attempts per minute: per account, per client address and on the whole relay; beyond it
   * 429 before the code is looked at. Each live code tolerates this many wrong claims relay-wide
   * while it lives (a wrong guess cannot say which code it aimed at); then it is burned and its
   * board gets a new code.
   */
  claimAttemptsPerAccount: 10,
  claimAttemptsPerIp: 10,
  claimAttemptsPerMinute: 60,
  claimCodeMaxFailures: 20,
} as const;

/** Operator-tunable defaults (see config.ts). */
export const DEFAULTS = {
  port: 9009,
  host: '127.0.0.1',
  databaseFile: './data/wakelink.db',
  deviceLimit: 5,
  queueTtlSeconds: 300,
  queueCap: 32,
  /** A live command's durable row is written only if its board has not answered within this (0: at once). */
  inFlightRowDelayMs: 20,
  /** A device reply for HTTP pulling waits this long in memory for its pull before it is written (0: at once). */
  replyRowDelayMs: 50,
  /** Access JWTs are short-lived (issue 14): a login session refreshes them. */
  jwtTtlSeconds: 15 * 60,
} as const;
