/**
 * Named wake targets and wake schedules (commands v1.0 did not have): their fields, bounds and
 * checks, shared by the firmware that stores them and the clients that send them. A bad field
 * raises INVALID_TARGET / INVALID_SCHEDULE naming the field, and nothing is stored.
 */
import { ErrorCodes, ProtocolError, type ErrorCode } from './errors';
import type { JsonObject } from './json';
import { formatMac, parseMac, parseSecureOn } from './wol';

export const TARGET_NAME_MAX = 16;
export const TARGET_HOST_MAX = 32;
/** Magic packets re-sent while a woken target is still down. */
export const TARGET_RETRIES_MAX = 5;
export const TARGET_RETRIES_DEFAULT = 2;
/** How long a wake is watched for the target to come up (seconds). */
export const TARGET_WAIT_MIN = 10;
export const TARGET_WAIT_MAX = 600;
export const TARGET_WAIT_DEFAULT = 120;
export const TARGET_PORT_DEFAULT = 22;

export interface Target {
  name: string;
  /** Normalised, `AA:BB:CC:DD:EE:FF`. */
  mac: string;
  /** SecureOn password, normalised like a MAC; '' when none. */
  secureOn: string;
  /** IPv4 address or LAN host name to probe; '' when the target is wake-only. */
  host: string;
  port: number;
  /** Directed broadcast address for another subnet; '' for the board's default. */
  broadcast: string;
  retries: number;
  waitSeconds: number;
}

export interface Schedule {
  /** 1..max, chosen by the board. */
  id: number;
  target: string;
  /** Minutes after local midnight. */
  minute: number;
  /** Bit 0 = Sunday ... bit 6 = Saturday. */
  days: number;
  /** Local time = UTC + this many minutes. */
  utcOffset: number;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const HOST = /^[A-Za-z0-9.-]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const DAY_NAMES = Object.freeze(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const);

function invalid(code: ErrorCode, field: string, message: string): ProtocolError & { field: string } {
  const error = new ProtocolError(code, message) as ProtocolError & { field: string };
  Object.defineProperty(error, 'field', { value: field, enumerable: true });
  return error;
}

function integer(value: unknown, fallback: number, min: number, max: number, code: ErrorCode, field: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(code, field, `${field} must be an integer ${min}..${max}`);
  }
  return value;
}

export function checkTargetName(value: unknown, code: ErrorCode = ErrorCodes.INVALID_TARGET, field = 'name'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > TARGET_NAME_MAX || !NAME.test(value)) {
    throw invalid(code, field, `${field} must be 1..${TARGET_NAME_MAX} characters of A-Z a-z 0-9 _ . -`);
  }
  return value;
}

function optionalText(value: unknown, field: string, test: (text: string) => boolean, rule: string): string {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string' || !test(value)) throw invalid(ErrorCodes.INVALID_TARGET, field, `${field} must be ${rule}`);
  return value;
}

/** A target from command data (`target_set`), every field checked. */
export function parseTarget(data: JsonObject): Target {
  const name = checkTargetName(data.name);
  let mac: string;
  try {
    mac = formatMac(parseMac(typeof data.mac === 'string' ? data.mac : ''));
  } catch {
    throw invalid(ErrorCodes.INVALID_TARGET, 'mac', 'mac must be a MAC address such as AA:BB:CC:DD:EE:FF');
  }
  let secureOn = '';
  if (data.secure_on !== undefined && data.secure_on !== null && data.secure_on !== '') {
    try {
      secureOn = formatMac(parseSecureOn(String(data.secure_on)));
    } catch {
      throw invalid(ErrorCodes.INVALID_TARGET, 'secure_on', 'secure_on must be 6 bytes written like a MAC address');
    }
  }
  const host = optionalText(data.host, 'host', (text) => text.length <= TARGET_HOST_MAX && HOST.test(text) && !text.startsWith('.') && !text.endsWith('.'), `an IPv4 address or a host name of at most ${TARGET_HOST_MAX} characters`);
  const broadcast = optionalText(data.broadcast, 'broadcast', (text) => IPV4.test(text), 'an IPv4 address');
  return {
    name,
    mac,
    secureOn,
    host,
    port: integer(data.port, TARGET_PORT_DEFAULT, 1, 65535, ErrorCodes.INVALID_TARGET, 'port'),
    broadcast,
    retries: integer(data.retries, TARGET_RETRIES_DEFAULT, 0, TARGET_RETRIES_MAX, ErrorCodes.INVALID_TARGET, 'retries'),
    waitSeconds: integer(data.wait, TARGET_WAIT_DEFAULT, TARGET_WAIT_MIN, TARGET_WAIT_MAX, ErrorCodes.INVALID_TARGET, 'wait'),
  };
}

/** The reply and list form of a target (the SecureOn password is never sent back). */
export function targetFields(target: Target): JsonObject {
  return {
    name: target.name, mac: target.mac, host: target.host, port: target.port, broadcast: target.broadcast,
    retries: target.retries, wait: target.waitSeconds, secure_on: target.secureOn.length > 0,
  };
}

/** "HH:MM" (24 h) → minutes after midnight. */
export function parseTimeOfDay(value: unknown): number {
  const match = typeof value === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value) : null;
  if (!match) throw invalid(ErrorCodes.INVALID_SCHEDULE, 'at', 'at must be a time of day as HH:MM (24 h)');
  return Number(match[1]) * 60 + Number(match[2]);
}

export function formatTimeOfDay(minute: number): string {
  const pad = (n: number): string => (n < 10 ? '0' : '') + n;
  return `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
}

/** "daily", "weekdays", "weekends" or a list such as "mon,wed,fri" → a day mask. */
export function parseDays(value: unknown): number {
  if (value === 'daily') return 0x7f;
  if (value === 'weekdays') return 0x3e;
  if (value === 'weekends') return 0x41;
  let mask = 0;
  const words = typeof value === 'string' ? value.toLowerCase().split(',') : [];
  for (const word of words) {
    const day = (DAY_NAMES as readonly string[]).indexOf(word.trim());
    if (day < 0) throw invalid(ErrorCodes.INVALID_SCHEDULE, 'days', 'days must be daily, weekdays, weekends or a list such as mon,wed,fri');
    mask |= 1 << day;
  }
  if (mask === 0) throw invalid(ErrorCodes.INVALID_SCHEDULE, 'days', 'days must name at least one day');
  return mask;
}

export function formatDays(mask: number): string {
  if (mask === 0x7f) return 'daily';
  const days: string[] = [];
  for (let day = 0; day < 7; day++) if (mask & (1 << day)) days.push(DAY_NAMES[day]!);
  return days.join(',');
}

/** A schedule from command data (`schedule_set`); `id` 0 = a new one. */
export function parseSchedule(data: JsonObject): Schedule {
  return {
    id: integer(data.id, 0, 0, 255, ErrorCodes.INVALID_SCHEDULE, 'id'),
    target: checkTargetName(data.target, ErrorCodes.INVALID_SCHEDULE, 'target'),
    minute: parseTimeOfDay(data.at),
    days: parseDays(data.days),
    utcOffset: integer(data.utc_offset, 0, -840, 840, ErrorCodes.INVALID_SCHEDULE, 'utc_offset'),
  };
}

export function scheduleFields(schedule: Schedule): JsonObject {
  return { id: schedule.id, target: schedule.target, at: formatTimeOfDay(schedule.minute), days: formatDays(schedule.days), utc_offset: schedule.utcOffset };
}
