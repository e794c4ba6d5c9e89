/**
 * Wi-Fi on Moddable `wifi` and `net`. The firmware owns Wi-Fi (no SDK `setup/network` module joins
 * before `main`), so a missing or failing network always ends in setup mode. A join that has no IP
 * address within JOIN_TIMEOUT_MS (v1.0: 40 tries, about 24 s) counts as failed. After a join, loss
 * of the IP address is reported once.
 */
import Net from 'net';
import WiFi from 'wifi';
import type { Network, Timers, WifiMode } from '../types';
import { guard, reportFault } from './guard';
import { board } from './system';

export interface ModdableNetworkOptions {
  /**
   * The station address to report instead of the interface's. Only the lin host build sets it
   * (its Wi-Fi is a stand-in, and the tests reach the device on 127.0.0.1).
   */
  stationIp?: string;
}

const JOIN_TIMEOUT_MS = 24000;
const AP_ADDRESS = '192.168.4.1';
/** Soft-AP clients at once; the setup page serves one owner. */
const AP_MAX_CLIENTS = 2;

export function createModdableNetwork(timers: Timers, options: ModdableNetworkOptions = {}): Network & { onGotIp(callback: () => void): void } {
  let mode: WifiMode = 'STA';
  let monitor: WiFi | null = null;
  let lost: (() => void) | null = null;
  let gotIp: (() => void) | null = null;
  /** The network last joined: reported when the platform cannot name it (the lin stand-in). */
  let joinedSsid = '';

  const stopMonitor = (): void => {
    const closing = monitor;
    monitor = null;
    try {
      closing?.close();
    } catch (error) {
      reportFault('wifi close', error);
    }
  };
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');

  return {
    ip: () => (mode === 'STA' && monitor ? options.stationIp || text(Net.get('IP')) || '0.0.0.0' : '0.0.0.0'),
    ssid: () => (mode === 'STA' && monitor ? text(Net.get('SSID')) || joinedSsid : ''),
    rssi: () => (mode === 'STA' ? Number(Net.get('RSSI')) || 0 : 0),
    mode: () => mode,
    chipId: () => board.chipId(),
    freeHeap: () => board.freeHeap(),

    connectStation(ssid, password, done) {
      stopMonitor();
      mode = 'STA';
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
      const onMessage = guard('wifi callback', (message: string) => {
        if (message === WiFi.gotIP) {
          joined = true;
          joinedSsid = ssid;
          settle(true);
          gotIp?.();
        } else if ((message === WiFi.lostIP || message === WiFi.disconnected) && joined) {
          joined = false;
          stopMonitor();
          lost?.();
        }
      });
      try {
        WiFi.mode = WiFi.Mode.station;
        monitor = new WiFi({ ssid, password }, onMessage);
      } catch (error) {
        reportFault('wifi connect', error);
        timers.setTimeout(() => settle(false), 0);
      }
    },

    startAccessPoint(ssid, password, done) {
      stopMonitor();
      mode = 'AP';
      try {
        WiFi.accessPoint({ ssid, password, max: AP_MAX_CLIENTS });
      } catch (error) {
        // Still serve the LAN side; the owner sees the failure on the console.
        reportFault('wifi access point', error);
      }
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
