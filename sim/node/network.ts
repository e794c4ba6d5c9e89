import type { Network, WifiMode } from '../../firmware/platform/types';
import type { BootResources } from './resources';

/** What `info` reports as free heap: a fixed figure per profile (Node's heap says nothing about a board's). */
export const SIMULATED_FREE_HEAP = { esp8266: 28_000, esp32: 160_000, host: 200_000 } as const;
export const SIMULATED_RSSI_DBM = -55;
/** The simulated station joins after this delay, like a quick DHCP. */
export const STATION_JOIN_MS = 20;
export const SIMULATED_STATION_IP = '127.0.0.1';
export const SIMULATED_AP_IP = '192.168.4.1';

export interface SimulatedNetworkOptions {
  chipId: number;
  freeHeap: number;
  resources: BootResources;
}

/** Wi-Fi that always joins: the simulated device lives on loopback, reported as a station on 127.0.0.1. */
export function createSimulatedNetwork(options: SimulatedNetworkOptions): Network {
  let mode: WifiMode = 'STA';
  let joined = '';
  const later = (callback: () => void, ms: number): void => {
    const timer = setTimeout(() => {
      untrack();
      callback();
    }, ms);
    const untrack = options.resources.track(() => clearTimeout(timer));
  };
  return {
    ip: () => (mode === 'STA' && joined !== '' ? SIMULATED_STATION_IP : '0.0.0.0'),
    ssid: () => (mode === 'STA' ? joined : ''),
    rssi: () => (mode === 'STA' && joined !== '' ? SIMULATED_RSSI_DBM : 0),
    mode: () => mode,
    chipId: () => options.chipId,
    freeHeap: () => options.freeHeap,
    connectStation(ssid, _password, done) {
      mode = 'STA';
      later(() => {
        joined = ssid;
        done(ssid !== '');
      }, STATION_JOIN_MS);
    },
    startAccessPoint(_ssid, _password, done) {
      mode = 'AP';
      joined = '';
      later(() => done(SIMULATED_AP_IP), STATION_JOIN_MS);
    },
    // The simulated link never drops on its own.
    onStationLost() {},
  };
}
