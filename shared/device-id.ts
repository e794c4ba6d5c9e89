/**
 * Device ids: the literal `WL` followed by the board's chip id in upper-case hex without leading
 * zeros (spec 1.1; ESP8266 24-bit, ESP32 32-bit chip ids, so at most 8 digits). The one rule for
 * the relay (routes, WebSocket paths, packets), the simulator, the CLI and the firmware: an id the
 * firmware cannot print is refused everywhere, e.g. `WL2OFF00` (a letter O) or `WL00AB` (padding).
 */
export const DEVICE_ID_PATTERN = '^WL(?:0|[1-9A-F][0-9A-F]{0,7})$';
export const DEVICE_ID_MAX_LENGTH = 10;
const DEVICE_ID_RE = new RegExp(DEVICE_ID_PATTERN);

/** What a person is told when an id is refused. */
export const DEVICE_ID_RULE = '"WL" followed by 1-8 upper-case hex digits without leading zeros, e.g. WL35080814';

export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_RE.test(value);
}

/** The id the firmware derives from its chip id. */
export function deviceIdFromChip(chipId: number): string {
  if (!Number.isInteger(chipId) || chipId < 0 || chipId > 0xffffffff) throw new RangeError('chip id must be an unsigned 32-bit integer');
  return 'WL' + chipId.toString(16).toUpperCase();
}

/** The chip id an id stands for, or null when it is not a device id. */
export function chipIdFromDeviceId(value: unknown): number | null {
  return isDeviceId(value) ? parseInt(value.slice(2), 16) : null;
}
