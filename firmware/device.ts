/**
 * The firmware's single entry point. Boot: identity → config → Wi-Fi → LAN server (+ setup page)
 * → cloud link when enabled and configured. Unconfigured or failed Wi-Fi → setup mode (soft AP).
 *
 * The device is one object whose methods are the command context: on a board the methods of a
 * preloaded class live once in flash, where the closures of an object literal cost RAM each
 * (about 150 bytes apiece on the ESP8266, against a budget of 20 KB for everything).
 */
import { deriveKey, FreshnessGuard, type JsonObject } from '../shared/index';
import { CloudLink, type CredentialKeeper } from './cloud/link';
import type { CommandContext, NetworkSnapshot } from './commands/context';
import { clearConfig, loadConfig, saveConfig, saveFlags, type DeviceConfig } from './config';
import {
  DEFAULT_HTTP_PORT, DEFAULT_LAN_PORT, DEFAULT_WOL_ADDRESS, DEFAULT_WOL_PORT, FRESHNESS_WINDOW_SECONDS,
  HTTP_MAX_CONNECTIONS, HTTP_MAX_REQUEST_BYTES, HTTP_READ_WINDOW_MS, LAN_MAX_LINE_BYTES, LAN_READ_WINDOW_MS,
  OTA_WINDOW_MS, PROFILE_LIMITS, RESTART_DELAY_MS, SETUP_AP_IP, SETUP_RETRY_STATION_MS, SETUP_SWITCH_DELAY_MS,
  TOKEN_LENGTH,
} from './constants';
import { clearIdentity, loadIdentity, randomString, storeToken, type Identity } from './identity';
import { LineServer } from './lan/line-server';
import { PacketHandler } from './packet-handler';
import type { CloudStatus, DeviceHandle, DeviceOptions, DeviceStatus, Platform, TimerHandle } from './platform/types';
import { setupApSsid } from './setup/access-point';
import { HttpServer } from './setup/http';
import { SetupBinding } from './setup/binding';
import { SetupPage } from './setup/page';
import { UsageCounter } from './usage-counter';
import { ReplayFloor } from './replay-floor';
import { ReplyCache } from './reply-cache';
import { deleteStoredText, readStoredText, writeStoredText } from './stored-text';
import { DeviceTargets } from './targets/service';
import { sendMagicPacket, type WolTarget } from './wol-sender';

/** The board's own relay credential (issue 14), in flash. */
export const CREDENTIAL_KEY = 'cred';

/** Grace period between handing a reply to the WebSocket and closing it (B6). */
const CLOUD_CLOSE_GRACE_MS = 250;

export function startDevice(platform: Platform, options: DeviceOptions = {}): DeviceHandle {
  const device = new Device(platform, options);
  device.boot();
  return device;
}

class Device implements CommandContext, DeviceHandle, CredentialKeeper {
  readonly deviceId: string;
  readonly counter: UsageCounter;
  private readonly identity: Identity;
  private readonly config: DeviceConfig;
  private readonly replayFloor: ReplayFloor;
  private readonly apSsid: string;
  private readonly wol: WolTarget;
  private readonly lanPort: number;
  /** One-shot timers the device owns, all cancelled by stop(). */
  private readonly pending = new Set<TimerHandle>();
  private readonly packets: PacketHandler;
  private readonly cloud: CloudLink;
  private readonly lan: LineServer;
  private readonly http: HttpServer;
  readonly setupPage: SetupPage;
  readonly targets: DeviceTargets;
  token: string;
  key: Uint8Array;
  mode: DeviceStatus['mode'] = 'booting';
  private stopped = false;
  /** This board's own relay credential (claimed with a code); '' until then. */
  private credential: string;
  /** Set by a factory reset, so the restart does not write the counter back. */
  private erased = false;
  /** At most one retry is pending, however often setup mode is entered. */
  private stationRetryPending = false;

  constructor(readonly platform: Platform, options: DeviceOptions) {
    const { store, network, logger, timers } = platform;
    const limits = PROFILE_LIMITS[options.profile ?? 'host'];
    this.identity = loadIdentity(store, platform.random, network.chipId(), logger);
    this.deviceId = this.identity.deviceId;
    this.config = loadConfig(store, options.defaults);
    this.counter = new UsageCounter(store);
    this.replayFloor = new ReplayFloor(store);
    this.token = this.identity.token;
    this.key = deriveKey(this.token, platform.crypto);
    this.apSsid = setupApSsid(network.chipId());
    this.wol = { address: options.wolAddress ?? DEFAULT_WOL_ADDRESS, port: options.wolPort ?? DEFAULT_WOL_PORT, localPort: options.wolLocalPort ?? 0 };
    this.lanPort = options.lanPort ?? DEFAULT_LAN_PORT;
    this.targets = new DeviceTargets(platform, limits, this.wol, this);
    this.packets = new PacketHandler({
      crypto: platform.crypto,
      random: platform.random,
      clock: platform.clock,
      logger,
      freshness: new FreshnessGuard({
        capacity: limits.freshnessCapacity,
        windowSeconds: FRESHNESS_WINDOW_SECONDS,
        floorSeconds: this.replayFloor.floor,
      }),
      replayFloor: this.replayFloor,
      replies: new ReplyCache(limits.replyCacheEntries),
      context: this,
      // The key in force: the old one while an update_token reply is being sealed.
      key: () => this.key,
    });
    this.credential = readStoredText(store, CREDENTIAL_KEY) ?? '';
    this.cloud = new CloudLink({
      websocket: platform.websocket, timers, random: platform.random, logger, clock: platform.clock, deviceId: this.deviceId,
      responder: this.packets, credentials: this,
    });
    this.lan = new LineServer({
      port: this.lanPort,
      maxConnections: limits.maxLanConnections,
      maxLineBytes: LAN_MAX_LINE_BYTES,
      readWindowMs: LAN_READ_WINDOW_MS,
      timers,
      logger,
      responder: this.packets,
    });
    this.setupPage = new SetupPage(new SetupBinding(this));
    const page = this.setupPage;
    this.http = new HttpServer({
      port: options.httpPort ?? DEFAULT_HTTP_PORT,
      maxConnections: HTTP_MAX_CONNECTIONS,
      maxRequestBytes: HTTP_MAX_REQUEST_BYTES,
      readWindowMs: HTTP_READ_WINDOW_MS,
      timers,
      logger,
      handle: (request, client) => page.handle(request, client),
    });
  }

  boot(): void {
    const { network, logger } = this.platform;
    network.onStationLost(() => this.stationLost());
    logger.log('info', `WakeLink-XS ${this.deviceId} booting`);
    if (this.config.ssid.length > 0) this.joinStation();
    else this.enterSetup('Wi-Fi not configured', false);
    this.targets.start();
  }

  // --- DeviceHandle

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const handle of this.pending) this.platform.timers.clearTimeout(handle);
    this.pending.clear();
    this.lan.stop();
    this.http.stop();
    this.cloud.stop();
    this.targets.stop();
    if (!this.erased) this.counter.flush();
  }

  status(): DeviceStatus {
    return {
      deviceId: this.deviceId,
      mode: this.mode,
      cloudStatus: this.cloud.status,
      requestCounter: this.counter.value,
      lanConnections: this.lan.connections,
    };
  }

  // --- CommandContext

  network(): NetworkSnapshot {
    const { network } = this.platform;
    return { ip: network.ip(), ssid: network.ssid(), rssi: network.rssi(), mode: network.mode(), freeHeap: network.freeHeap() };
  }

  webEnabled(): boolean {
    return this.config.webEnabled;
  }

  setWebEnabled(enabled: boolean): void {
    this.config.webEnabled = enabled;
    saveFlags(this.platform.store, this.config);
    this.applyWebServer();
  }

  cloudEnabled(): boolean {
    return this.config.cloudEnabled;
  }

  setCloudEnabled(enabled: boolean): void {
    this.config.cloudEnabled = enabled;
    saveFlags(this.platform.store, this.config);
    // A running link already uses the stored settings; restarting it would drop the reply in flight (B6).
    if (enabled && this.cloud.status === 'disabled') this.applyCloud();
  }

  cloudStatus(): CloudStatus {
    return this.cloud.status;
  }

  stopCloud(): void {
    this.cloud.stop(CLOUD_CLOSE_GRACE_MS);
  }

  sendWake(mac: Uint8Array, secureOn?: Uint8Array): void {
    sendMagicPacket(this.platform.udp, this.wol, mac, secureOn);
  }

  startOtaWindow(): void {
    // No OTA service listens because of this flag (no public OTA password, S8); kept for v1.0 clients.
    this.platform.logger.log('info', `ota_start acknowledged (${OTA_WINDOW_MS} ms window); updates use the platform tools, see README`);
  }

  setupAccessPoint(): { ssid: string; ip: string } {
    return { ssid: this.apSsid, ip: SETUP_AP_IP };
  }

  soon(action: () => void): void {
    this.later(0, action);
  }

  enterSetupMode(): void {
    this.later(SETUP_SWITCH_DELAY_MS, () => this.enterSetup('requested by open_setup', true));
  }

  restartSoon(): void {
    this.later(RESTART_DELAY_MS, () => {
      if (!this.erased) this.counter.flush();
      this.platform.logger.log('info', 'restarting');
      this.platform.system.restart();
    });
  }

  generateToken(): string {
    return randomString(this.platform.random, TOKEN_LENGTH);
  }

  commitToken(next: string): void {
    storeToken(this.platform.store, next);
    this.token = next;
    this.key = deriveKey(next, this.platform.crypto); // the old token stops working at once, not only after the reboot
    this.counter.reset();
    this.platform.logger.log('info', 'device token rotated; restarting');
    this.restartSoon();
  }

  // --- for the setup page (SetupBinding)

  saveSettings(next: DeviceConfig): void {
    saveConfig(this.platform.store, next);
    Object.assign(this.config, next);
  }

  settings(): DeviceConfig {
    return { ...this.config };
  }

  factoryReset(): void {
    const { store, logger } = this.platform;
    clearConfig(store);
    clearIdentity(store);
    deleteStoredText(store, CREDENTIAL_KEY);
    this.targets.erase();
    this.counter.erase();
    this.replayFloor.erase();
    this.erased = true;
    logger.log('warn', 'factory reset: settings and identity erased');
  }

  setupPassword(): string {
    return this.identity.setupPassword;
  }

  // --- CredentialKeeper (the cloud link's claim flow)

  credentialReceived(credential: string): void {
    writeStoredText(this.platform.store, CREDENTIAL_KEY, credential);
    this.credential = credential;
    this.applyCloud();
  }

  credentialRevoked(): void {
    deleteStoredText(this.platform.store, CREDENTIAL_KEY);
    this.credential = '';
    this.applyCloud();
  }

  hasCredential(): boolean {
    return this.credential.length > 0;
  }

  /** For the setup page: the code to claim this board with, while it waits for one to be entered. */
  claimCode(): string | undefined {
    return this.cloud.claimCode(this.platform.clock.uptimeMs());
  }

  /** An event (wake confirmation) to the relay, sealed like a reply: the relay cannot read it. */
  publishEvent(event: JsonObject): void {
    this.platform.logger.log('info', `event ${String(event.event)}: ${String(event.target)} ${String(event.state)}`);
    if (this.cloud.status !== 'connected') return;
    this.cloud.publish(String(event.event), this.packets.sealEvent(event));
  }

  // --- the boot sequence

  private later(ms: number, action: () => void): void {
    const handle = this.platform.timers.setTimeout(() => {
      this.pending.delete(handle);
      if (!this.stopped) action();
    }, ms);
    this.pending.add(handle);
  }

  private applyWebServer(): void {
    if (this.stopped || this.mode === 'booting') return;
    // In setup mode the page is the only way in, so it cannot be switched off (v1.0 rule).
    if (this.mode === 'AP' || this.config.webEnabled) this.startSafely('setup page', this.http);
    else this.http.stop();
  }

  private applyCloud(): void {
    if (this.stopped) return;
    const { config } = this;
    if (this.mode === 'STA' && config.cloudEnabled && config.relayUrl.length > 0) {
      // A board's own credential wins: the account token stays only for v1.0-style set-ups.
      const apiToken = this.credential ? '' : config.apiToken;
      this.cloud.start({ relayUrl: config.relayUrl, apiToken, credential: this.credential, tlsVerify: config.tlsVerify });
    } else {
      this.cloud.stop();
    }
  }

  private startSafely(name: string, server: LineServer | HttpServer): boolean {
    try {
      server.start(this.platform.tcp);
      return true;
    } catch (error) {
      this.platform.logger.log('error', `${name} could not start: ${String(error)}`);
      return false;
    }
  }

  private enterStation(): void {
    const { logger, network } = this.platform;
    this.mode = 'STA';
    logger.log('info', `Wi-Fi joined, address ${network.ip()}`);
    // "ready" only once the listener exists: clients (and the simulator's tests) wait for this line.
    if (this.startSafely('LAN server', this.lan)) logger.log('info', `device ${this.deviceId} ready on port ${this.lanPort}`);
    this.applyWebServer();
    this.applyCloud();
  }

  private enterSetup(reason: string, retryStation: boolean): void {
    if (this.stopped) return;
    this.mode = 'AP';
    this.cloud.stop();
    this.platform.logger.log('warn', `setup mode (${reason}): join Wi-Fi "${this.apSsid}" and open http://${SETUP_AP_IP}/`);
    this.platform.network.startAccessPoint(this.apSsid, this.identity.setupPassword, () => {
      if (this.stopped) return;
      this.startSafely('LAN server', this.lan);
      this.applyWebServer();
    });
    // Instead of v1.0's reboot every 5 minutes (B17), retry the stored network while nobody is using the page
    // (also after open_setup: v1.0 went back to Wi-Fi after 5 minutes).
    if (retryStation) this.scheduleStationRetry();
  }

  private scheduleStationRetry(): void {
    if (this.config.ssid.length === 0 || this.stationRetryPending) return;
    this.stationRetryPending = true;
    this.later(SETUP_RETRY_STATION_MS, () => {
      this.stationRetryPending = false;
      if (this.mode !== 'AP') return;
      if (this.setupPage.inUse()) this.scheduleStationRetry();
      else this.joinStation();
    });
  }

  private joinStation(): void {
    this.platform.network.connectStation(this.config.ssid, this.config.wifiPassword, (ok) => {
      if (this.stopped) return;
      if (ok) this.enterStation();
      else this.enterSetup('could not join Wi-Fi', true);
    });
  }

  private stationLost(): void {
    if (this.stopped || this.mode !== 'STA') return;
    this.platform.logger.log('warn', 'Wi-Fi link lost; rejoining');
    this.cloud.stop();
    this.mode = 'booting';
    this.joinStation();
  }
}
