/** The Moddable implementation of the platform seam (boards, and the lin host build the tests run). */
import type { Platform } from '../types';
import { createModdableClock } from './clock';
import { createModdableCrypto } from './crypto';
import { createModdableNetwork } from './network';
import { createPreferenceStore } from './store';
import { boardSystem, hardwareRandom, serialLogger } from './system';
import { createModdableTcp } from './tcp';
import { createModdableTimers } from './timers';
import { createModdableUdp } from './udp';
import { createModdableWebSocket } from './websocket';

export interface ModdablePlatformOptions {
  /** SNTP server; empty disables time sync (and with it the timestamp check). */
  sntpHost: string;
  /** The clock is right from the start (lin host build: the test machine's clock); no SNTP. */
  hostClock: boolean;
  /** Station address to report instead of the interface's (lin host build only). */
  stationIp?: string;
  /** `native` (default): the SDK's crypt modules, checked against the golden vector at start. */
  crypto?: 'native' | 'reference';
}

export function createModdablePlatform(options: ModdablePlatformOptions): Platform {
  const timers = createModdableTimers();
  const clock = createModdableClock(options.hostClock);
  const network = createModdableNetwork(timers, options.stationIp ? { stationIp: options.stationIp } : {});
  network.onGotIp(() => clock.startSntp(options.sntpHost, serialLogger));
  return {
    tcp: createModdableTcp(timers),
    udp: createModdableUdp(),
    websocket: createModdableWebSocket(timers),
    timers,
    store: createPreferenceStore(),
    network,
    clock,
    random: hardwareRandom,
    system: boardSystem,
    logger: serialLogger,
    crypto: createModdableCrypto(hardwareRandom, serialLogger, options.crypto),
  };
}
