/** The Moddable implementation of the platform seam (board only; type-checked, not run in CI). */
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
}

export function createModdablePlatform(options: ModdablePlatformOptions): Platform {
  const timers = createModdableTimers();
  const clock = createModdableClock();
  const network = createModdableNetwork(timers);
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
    crypto: createModdableCrypto(hardwareRandom, serialLogger),
  };
}
