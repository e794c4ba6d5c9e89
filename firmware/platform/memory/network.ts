/** Wi-Fi seam in RAM; joins and AP switches complete on the next timer turn. */
import type { Network, Timers, WifiMode } from '../types';

export class MemoryNetwork implements Network {
  /** Whether `connectStation` succeeds, per SSID; unknown SSIDs fail. */
  readonly reachable = new Map<string, string>();
  currentMode: WifiMode = 'STA';
  address = '0.0.0.0';
  joinedSsid = '';
  accessPoint: { ssid: string; password: string } | null = null;
  heap = 40000;
  private lostCallback: (() => void) | null = null;

  constructor(
    private readonly timers: Timers,
    readonly chip = 0x35080814,
    readonly stationAddress = '192.168.1.50',
  ) {}

  ip(): string {
    return this.address;
  }
  ssid(): string {
    return this.joinedSsid;
  }
  rssi(): number {
    return this.currentMode === 'STA' && this.joinedSsid ? -60 : 0;
  }
  mode(): WifiMode {
    return this.currentMode;
  }
  chipId(): number {
    return this.chip;
  }
  freeHeap(): number {
    return this.heap;
  }

  connectStation(ssid: string, password: string, done: (ok: boolean) => void): void {
    this.timers.setTimeout(() => {
      const ok = this.reachable.has(ssid) && this.reachable.get(ssid) === password;
      this.currentMode = 'STA';
      this.accessPoint = null;
      this.joinedSsid = ok ? ssid : '';
      this.address = ok ? this.stationAddress : '0.0.0.0';
      done(ok);
    }, 0);
  }

  startAccessPoint(ssid: string, password: string, done: (ip: string) => void): void {
    this.timers.setTimeout(() => {
      this.currentMode = 'AP';
      this.joinedSsid = '';
      this.address = '0.0.0.0';
      this.accessPoint = { ssid, password };
      done('192.168.4.1');
    }, 0);
  }

  onStationLost(callback: () => void): void {
    this.lostCallback = callback;
  }

  /** Simulates the access point going away. */
  loseStation(): void {
    this.joinedSsid = '';
    this.address = '0.0.0.0';
    this.lostCallback?.();
  }
}
