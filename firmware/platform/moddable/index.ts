/** The Moddable implementation of the platform seam (boards, and the lin host build the tests run). */
import type { Platform } from '../types';
import { ModdableClock } from './clock';
import { createModdableCrypto } from './crypto';
import { ModdableNetwork } from './network';
import { ModdableProber } from './probe';
import { PreferenceStore } from './store';
import { boardSystem, hardwareRandom, serialLogger } from './system';
import { ModdableTcp } from './tcp';
import { ModdableTimers } from './timers';
import { ModdableUdp } from './udp';
import { ModdableWebSocket } from './websocket';

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
  const timers = new ModdableTimers();
  const clock = new ModdableClock(options.hostClock);
  const network = new ModdableNetwork(timers, options.stationIp);
  const { sntpHost } = options;
  network.onGotIp(() => clock.startSntp(sntpHost, serialLogger));
  return {
    tcp: new ModdableTcp(timers),
    udp: new ModdableUdp(),
    probe: new ModdableProber(timers),
    websocket: new ModdableWebSocket(timers),
    timers,
    store: new PreferenceStore(),
    network,
    clock,
    random: hardwareRandom,
    system: boardSystem,
    logger: serialLogger,
    crypto: createModdableCrypto(hardwareRandom, serialLogger, options.crypto),
  };
}
