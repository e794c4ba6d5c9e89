/** Name of the setup access point: `WakeLink-` + the last four hex digits of the chip id. */
import { SETUP_AP_PREFIX } from '../constants';

export function setupApSsid(chipId: number): string {
  const hex = chipId.toString(16).toUpperCase();
  return SETUP_AP_PREFIX + ('0000' + hex).slice(-4);
}
