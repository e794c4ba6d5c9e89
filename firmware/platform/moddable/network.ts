/**
 * Wi-Fi on Moddable `wifi` and `net`. The firmware owns Wi-Fi (no SDK `setup/network` module joins
 * before `main`), so a missing or failing network always ends in setup mode. A join that has no IP
 * address within JOIN_TIMEOUT_MS (v1.0: 40 tries, about 24 s) counts as failed. After a join, loss
 * of the IP address is reported once.
 */
import Net from 'net';
import WiFi from 'wifi';
import type { Network, Timers, WifiMode } from '../types';
import { reportFault } from './guard';
import { board } from './system';

const JOIN_TIMEOUT_MS = 24000;
const AP_ADDRESS = '192.168.4.1';
/** Soft-AP clients at once; the setup page serves one owner. */
const AP_MAX_CLIENTS = 2;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** One station join: settles once, on an address, a timeout or a failure to start. */
class Join {
  private settled = false;
  private joined = false;
  private readonly timeout: unknown;

  constructor(private readonly network: ModdableNetwork, private readonly ssid: string, private readonly done: (ok: boolean) => void) {
    this.timeout = network.timers.setTimeout(() => this.settle(false), JOIN_TIMEOUT_MS);
  }

  notify(message: string): void {
    if (message === WiFi.gotIP) {
      this.joined = true;
      this.network.joined(this.ssid);
      this.settle(true);
    } else if ((message === WiFi.lostIP || message === WiFi.disconnected) && this.joined) {
      this.joined = false;
      this.network.lost();
    }
  }

  settle(ok: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.network.timers.clearTimeout(this.timeout);
    if (!ok) this.network.stopMonitor();
    this.done(ok);
  }
}

export class ModdableNetwork implements Network {
  private currentMode: WifiMode = 'STA';
  private monitor: WiFi | null = null;
  private lostCallback: (() => void) | null = null;
  private gotIpCallback: (() => void) | null = null;
  /** The network last joined: reported when the platform cannot name it (the lin stand-in). */
  private joinedSsid = '';

  /**
   * `stationIp`: the station address to report instead of the interface's. Only the lin host
   * build sets it (its Wi-Fi is a stand-in, and the tests reach the device on 127.0.0.1).
   */
  constructor(readonly timers: Timers, private readonly stationIp = '') {}

  ip(): string {
    return this.currentMode === 'STA' && this.monitor ? this.stationIp || text(Net.get('IP')) || '0.0.0.0' : '0.0.0.0';
  }

  ssid(): string {
    return this.currentMode === 'STA' && this.monitor ? text(Net.get('SSID')) || this.joinedSsid : '';
  }

  rssi(): number {
    return this.currentMode === 'STA' ? Number(Net.get('RSSI')) || 0 : 0;
  }

  mode(): WifiMode {
    return this.currentMode;
  }

  chipId(): number {
    return board.chipId();
  }

  freeHeap(): number {
    return board.freeHeap();
  }

  connectStation(ssid: string, password: string, done: (ok: boolean) => void): void {
    this.stopMonitor();
    this.currentMode = 'STA';
    const join = new Join(this, ssid, done);
    try {
      WiFi.mode = WiFi.Mode.station;
      this.monitor = new WiFi({ ssid, password }, (message: string) => {
        try {
          join.notify(message);
        } catch (error) {
          reportFault('wifi callback', error);
        }
      });
    } catch (error) {
      reportFault('wifi connect', error);
      this.timers.setTimeout(() => join.settle(false), 0);
    }
  }

  startAccessPoint(ssid: string, password: string, done: (ip: string) => void): void {
    this.stopMonitor();
    this.currentMode = 'AP';
    try {
      WiFi.accessPoint({ ssid, password, max: AP_MAX_CLIENTS });
    } catch (error) {
      // Still serve the LAN side; the owner sees the failure on the console.
      reportFault('wifi access point', error);
    }
    this.timers.setTimeout(() => done(AP_ADDRESS), 0);
  }

  onStationLost(callback: () => void): void {
    this.lostCallback = callback;
  }

  /** Not part of the seam: lets the platform start SNTP once an address is known. */
  onGotIp(callback: () => void): void {
    this.gotIpCallback = callback;
  }

  joined(ssid: string): void {
    this.joinedSsid = ssid;
    this.gotIpCallback?.();
  }

  lost(): void {
    this.stopMonitor();
    this.lostCallback?.();
  }

  stopMonitor(): void {
    const closing = this.monitor;
    this.monitor = null;
    try {
      closing?.close();
    } catch (error) {
      reportFault('wifi close', error);
    }
  }
}
