/**
 * The setup page's view of the device: what the page may see and do, as methods over the device
 * (a preloaded class, no closures: each closure costs RAM on the ESP8266).
 */
import type { DeviceConfig } from '../config';
import { SETUP_AP_IP } from '../constants';
import type { DeviceStatus, Platform } from '../platform/types';
import type { SetupPageDeps } from './page';

/** The part of the device the setup page reaches. */
export interface SetupHost {
  readonly deviceId: string;
  readonly platform: Platform;
  readonly token: string;
  readonly mode: DeviceStatus['mode'];
  setupPassword(): string;
  settings(): DeviceConfig;
  saveSettings(next: DeviceConfig): void;
  restartSoon(): void;
  claimCode(): string | undefined;
  hasCredential(): boolean;
  factoryReset(): void;
}

export class SetupBinding implements SetupPageDeps {
  readonly deviceId: string;
  readonly setupPassword: string;
  readonly clock: Platform['clock'];
  readonly random: Platform['random'];

  constructor(private readonly device: SetupHost) {
    this.deviceId = device.deviceId;
    this.setupPassword = device.setupPassword();
    this.clock = device.platform.clock;
    this.random = device.platform.random;
  }

  token(): string {
    return this.device.token;
  }

  config(): DeviceConfig {
    return this.device.settings();
  }

  network(): { mode: string; ip: string } {
    const { network } = this.device.platform;
    return { mode: network.mode(), ip: this.device.mode === 'AP' ? SETUP_AP_IP : network.ip() };
  }

  save(next: DeviceConfig): void {
    this.device.saveSettings(next);
  }

  restartSoon(): void {
    this.device.restartSoon();
  }

  claimCode(): string | undefined {
    return this.device.claimCode();
  }

  claimed(): boolean {
    return this.device.hasCredential();
  }

  factoryReset(): void {
    this.device.factoryReset();
  }
}
