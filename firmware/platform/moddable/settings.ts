/**
 * Build settings: mcconfig `key=value` arguments and the manifest "config" (mc/config). The lin
 * host build lets the process that starts it override any of them at run time
 * (`WAKELINK_<KEY>` in its environment, read by native/lin/board.c), so one image serves every
 * simulated device; on a board `setting()` has no overrides and the build values stand.
 */
import config from 'mc/config';
import { setting } from 'wakelink/board';

const values = config as unknown as Record<string, unknown>;

function raw(key: string): unknown {
  const override = setting(key);
  return override !== undefined ? override : values[key];
}

export function textSetting(key: string, fallback = ''): string {
  const value = raw(key);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
}

/** mcconfig passes key=value settings as strings; the manifest gives booleans. */
export function flagSetting(key: string, fallback: boolean): boolean {
  const value = raw(key);
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return fallback;
}

/** A port number (0..65535) or the fallback when the setting is missing or not one. */
export function portSetting(key: string, fallback: number): number {
  const value = Number(raw(key));
  return Number.isInteger(value) && value >= 0 && value < 65536 ? value : fallback;
}
