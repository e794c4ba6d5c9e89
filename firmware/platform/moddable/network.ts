/**
 * Wi-Fi on Moddable `wifi` and `net`. A join that has no IP address within JOIN_TIMEOUT_MS (v1.0:
 * 40 tries, about 24 s) counts as failed. After a join, loss of the IP address is reported once.
 */
import Net from 'net';
import WiFi from 'wifi';
import type { Network, Timers, WifiMode } from '../types';
import { board } from './system';

const JOIN_TIMEOUT_MS = 24000;
const AP_ADDRESS = '192.168.4.1';
/** Soft-AP clients at once; the setup page serves one owner. */
const AP_MAX_CLIENTS = 2;

export function createModdableNetwork(timers: Timers): Network & { onGotIp(callback: () => void): void } {
  let mode: WifiMode = 'STA';
  let monitor: WiFi | null = null;
  let lost: (() => void) | null = null;
  let gotIp: (() => void) | null = null;

  const stopMonitor = (): void => {
    monitor?.close();
    monitor = null;
  };

  return {
    ip: () => (mode === 'STA' ? Net.get('IP') || '0.0.0.0' : '0.0.0.0'),
    ssid: () => (mode === 'STA' ? Net.get('SSID') || '' : ''),
    rssi: () => (mode === 'STA' ? Number(Net.get('RSSI')) || 0 : 0),
    mode: () => mode,
    chipId: () => board.chipId(),
    freeHeap: () => board.freeHeap(),

    connectStation(ssid, password, done) {
      stopMonitor();
      mode = 'STA';
      WiFi.mode = WiFi.Mode.station;
      let settled = false;
      let joined = false;
      const timeout = timers.setTimeout(() => settle(false), JOIN_TIMEOUT_MS);
      function settle(ok: boolean): void {
        if (settled) return;
        settled = true;
        timers.clearTimeout(timeout);
        if (!ok) stopMonitor();
        done(ok);
      }
      monitor = new WiFi({ ssid, password }, (message) => {
        if (message === WiFi.gotIP) {
          joined = true;
          settle(true);
          gotIp?.();
        } else if ((message === WiFi.lostIP || message === WiFi.disconnected) && joined) {
          joined = false;
          stopMonitor();
          lost?.();
        }
      });
    },

    startAccessPoint(ssid, password, done) {
      stopMonitor();
      mode = 'AP';
      WiFi.accessPoint({ ssid, password, max: AP_MAX_CLIENTS });
      timers.setTimeout(() => done(AP_ADDRESS), 0);
    },

    onStationLost(callback) {
      lost = callback;
    },

    /** Not part of the seam: lets main.ts start SNTP once an address is known. */
    onGotIp(callback) {
      gotIp = callback;
    },
  };
}
