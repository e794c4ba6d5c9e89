/** Every bound of the firmware as a named constant (sizes, caps, timeouts). */
import type { DeviceProfile } from './platform/types';

/** v1.0 LAN command port and setup page port (spec 3.1, 5.3). */
export const DEFAULT_LAN_PORT = 99;
export const DEFAULT_HTTP_PORT = 80;
export const DEFAULT_WOL_ADDRESS = '255.255.255.255';
export const DEFAULT_WOL_PORT = 9;

/** Device token: 96 characters of [A-Za-z0-9] as v1.0 firmware generates (spec 1.1). */
export const TOKEN_LENGTH = 96;
export const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Per-device setup password (soft AP WPA2 password and owner login). */
export const SETUP_PASSWORD_LENGTH = 12;
export const SETUP_AP_PREFIX = 'WakeLink-';
export const SETUP_AP_IP = '192.168.4.1';

/** One request line: the largest legal packet is about 1.2 KB (1036 hex payload + 64 signature + envelope). */
export const LAN_MAX_LINE_BYTES = 1536;
/** Read window from accept; not extended by incoming data (spec 3.1). */
export const LAN_READ_WINDOW_MS = 5000;

/** v1.0 reported usage limit; informational only, never enforced (B2). */
export const REQUEST_LIMIT = 1000;
/** Counter values reserved per flash write: a power cut skips at most this many, never reuses one. */
export const COUNTER_RESERVE_BLOCK = 32;

/** Reply and side-effect timing. */
export const RESTART_DELAY_MS = 500;
export const SETUP_SWITCH_DELAY_MS = 500;
export const OTA_WINDOW_MS = 30000;

/** Cloud link. */
export const CLOUD_URL_MAX_CHARS = 127;
export const API_TOKEN_MAX_CHARS = 128;
/** The relay sends devices frames of 1 KiB or less; anything beyond this is dropped unread. */
export const CLOUD_MAX_FRAME_CHARS = 2048;
export const CLOUD_BACKOFF_BASE_MS = 5000;
export const CLOUD_BACKOFF_MAX_MS = 300000;
/** Jitter: the delay is scaled by a random factor in [1 - J, 1 + J]. */
export const CLOUD_BACKOFF_JITTER = 0.25;
export const CLOUD_HEARTBEAT_MS = 25000;
export const CLOUD_PONG_TIMEOUT_MS = 10000;
export const CLOUD_MAX_MISSED_PONGS = 3;

/** Wi-Fi: in setup mode after a failed join, retry the station link this often (no reboot loop, B17). */
export const SETUP_RETRY_STATION_MS = 300000;

/** Setup page. */
export const HTTP_MAX_REQUEST_BYTES = 2048;
export const HTTP_READ_WINDOW_MS = 10000;
export const HTTP_MAX_CONNECTIONS = 2;
export const SESSION_TTL_MS = 600000;
/** Login throttle, per client address: after this many failures the address waits... */
export const LOGIN_MAX_FAILURES = 5;
/** ...this long, doubling with every further lockout of that address, up to the maximum. */
export const LOGIN_LOCKOUT_BASE_MS = 5000;
export const LOGIN_LOCKOUT_MAX_MS = 60000;
/** Client addresses remembered by the throttle; the oldest is dropped (bounded memory). */
export const LOGIN_THROTTLE_MAX_CLIENTS = 8;
/**
 * ...and on top of that, for the whole device (addresses can be rotated past the table above):
 * at most this many failed logins per window, counted in a few fixed buckets (constant memory).
 * Past it every login waits, even from a new address and with the right password (no oracle).
 */
export const LOGIN_GLOBAL_MAX_FAILURES = 30;
export const LOGIN_GLOBAL_WINDOW_MS = 60000;
export const LOGIN_GLOBAL_BUCKETS = 6;
export const SSID_MAX_CHARS = 32;
export const WIFI_PASSWORD_MAX_CHARS = 63;

/** Our own error strings for cases v1.0 could not reach. */
export const RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE';
export const REQUEST_ID_TOO_LONG = 'REQUEST_ID_TOO_LONG';
/** Longest request id we echo, measured as JSON text (v1.0 clients send 8 hex characters). */
export const MAX_REQUEST_ID_JSON_CHARS = 66;

/** Wake confirmation: probe every 2 s, each waiting 1.5 s for an answer, until the target's window ends. */
export const WATCH_PROBE_INTERVAL_MS = 2000;
export const WATCH_PROBE_TIMEOUT_MS = 1500;
/** `status` probes wait shorter, so a page of targets is answered within a LAN client's patience. */
export const STATUS_PROBE_TIMEOUT_MS = 1000;
/** At most one probe per target per second (the board must not be a LAN scanner). */
export const PROBE_MIN_INTERVAL_MS = 1000;
/** A reply that waits for probes (`status`) is given up after this long. */
export const PENDING_REPLY_MAX_MS = 8000;
/** Entries per reply page: each reply must fit v1.0's 500-byte plaintext. */
export const STATUS_PAGE = 8;
export const TARGETS_PAGE = 3;
export const SCHEDULES_PAGE = 6;
/** How often schedules are checked against the (SNTP) clock. */
export const SCHEDULE_CHECK_MS = 20000;

export interface ProfileLimits {
  /** Simultaneous LAN connections; extra ones are closed at once (L8, B27). */
  maxLanConnections: number;
  /** Named targets the board stores; schedules; wakes watched at once; probes in flight at once. */
  maxTargets: number;
  maxSchedules: number;
  maxWatches: number;
  maxProbes: number;
  /** Replay memory entries (nonces + request ids). */
  freshnessCapacity: number;
  /** Recent sealed replies kept to answer a re-sent duplicate packet (F4); ~0.5 KB each. */
  replyCacheEntries: number;
}

/** Reply cache sizes (F4): the ESP8266 has ~32 KB for XS, the others have room for more. */
export const REPLY_CACHE_ENTRIES_ESP8266 = 2;
export const REPLY_CACHE_ENTRIES_LARGE = 8;

export const PROFILE_LIMITS: Readonly<Record<DeviceProfile, Readonly<ProfileLimits>>> = Object.freeze({
  esp8266: Object.freeze({ maxLanConnections: 2, freshnessCapacity: 32, replyCacheEntries: REPLY_CACHE_ENTRIES_ESP8266, maxTargets: 16, maxSchedules: 8, maxWatches: 2, maxProbes: 2 }),
  esp32: Object.freeze({ maxLanConnections: 4, freshnessCapacity: 128, replyCacheEntries: REPLY_CACHE_ENTRIES_LARGE, maxTargets: 32, maxSchedules: 16, maxWatches: 4, maxProbes: 4 }),
  host: Object.freeze({ maxLanConnections: 8, freshnessCapacity: 128, replyCacheEntries: REPLY_CACHE_ENTRIES_LARGE, maxTargets: 32, maxSchedules: 16, maxWatches: 4, maxProbes: 4 }),
});

/** Accepted distance between a command's timestamp and the SNTP clock. */
export const FRESHNESS_WINDOW_SECONDS = 300;
