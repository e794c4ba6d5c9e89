/**
 * The firmware's single entry point. Boot: identity → config → Wi-Fi → LAN server (+ setup page)
 * → cloud link when enabled and configured. Unconfigured or failed Wi-Fi → setup mode (soft AP).
 */
import { deriveKey, FreshnessGuard } from '../shared/index';
import { CloudLink } from './cloud/link';
import type { CommandContext } from './commands/context';
import { clearConfig, loadConfig, saveConfig, saveFlags, type DeviceConfig } from './config';
import {
  DEFAULT_HTTP_PORT, DEFAULT_LAN_PORT, DEFAULT_WOL_ADDRESS, DEFAULT_WOL_PORT, FRESHNESS_WINDOW_SECONDS,
  HTTP_MAX_CONNECTIONS, HTTP_MAX_REQUEST_BYTES, HTTP_READ_WINDOW_MS, LAN_MAX_LINE_BYTES, LAN_READ_WINDOW_MS,
  OTA_WINDOW_MS, PROFILE_LIMITS, RESTART_DELAY_MS, SETUP_AP_IP, SETUP_RETRY_STATION_MS, SETUP_SWITCH_DELAY_MS,
  TOKEN_LENGTH,
} from './constants';
import { clearIdentity, loadIdentity, randomString, storeToken } from './identity';
import { LineServer } from './lan/line-server';
import { PacketHandler } from './packet-handler';
import type { DeviceHandle, DeviceOptions, DeviceStatus, Platform, TimerHandle } from './platform/types';
import { setupApSsid } from './setup/access-point';
import { HttpServer } from './setup/http';
import { SetupPage } from './setup/page';
import { UsageCounter } from './usage-counter';
import { ReplayFloor } from './replay-floor';
import { ReplyCache } from './reply-cache';
import { sendMagicPacket } from './wol-sender';

/** Grace period between handing a reply to the WebSocket and closing it (B6). */
const CLOUD_CLOSE_GRACE_MS = 250;

export function startDevice(platform: Platform, options: DeviceOptions = {}): DeviceHandle {
  const { timers, logger, network, store } = platform;
  const limits = PROFILE_LIMITS[options.profile ?? 'host'];
  const identity = loadIdentity(store, platform.random, network.chipId(), logger);
  const config: DeviceConfig = loadConfig(store, options.defaults);
  const counter = new UsageCounter(store);
  const replayFloor = new ReplayFloor(store);
  let token = identity.token;
  let key = deriveKey(token, platform.crypto);
  let mode: DeviceStatus['mode'] = 'booting';
  let stopped = false;
  const apSsid = setupApSsid(network.chipId());
  const wol = { address: options.wolAddress ?? DEFAULT_WOL_ADDRESS, port: options.wolPort ?? DEFAULT_WOL_PORT, localPort: options.wolLocalPort ?? 0 };
  const pending = new Set<TimerHandle>();

  /** One-shot timers the device owns, all cancelled by stop(). */
  const later = (ms: number, action: () => void): void => {
    const handle = timers.setTimeout(() => {
      pending.delete(handle);
      if (!stopped) action();
    }, ms);
    pending.add(handle);
  };

  /** Set by a factory reset, so the restart does not write the counter back. */
  let erased = false;
  const restartSoon = (): void =>
    later(RESTART_DELAY_MS, () => {
      if (!erased) counter.flush();
      logger.log('info', 'restarting');
      platform.system.restart();
    });

  const context: CommandContext = {
    deviceId: identity.deviceId,
    counter,
    network: () => ({ ip: network.ip(), ssid: network.ssid(), rssi: network.rssi(), mode: network.mode(), freeHeap: network.freeHeap() }),
    webEnabled: () => config.webEnabled,
    setWebEnabled: (enabled) => {
      config.webEnabled = enabled;
      saveFlags(store, config);
      applyWebServer();
    },
    cloudEnabled: () => config.cloudEnabled,
    setCloudEnabled: (enabled) => {
      config.cloudEnabled = enabled;
      saveFlags(store, config);
      // A running link already uses the stored settings; restarting it would drop the reply in flight (B6).
      if (enabled && cloud.status === 'disabled') applyCloud();
    },
    cloudStatus: () => cloud.status,
    stopCloud: () => cloud.stop(CLOUD_CLOSE_GRACE_MS),
    sendWake: (mac, secureOn) => sendMagicPacket(platform.udp, wol, mac, secureOn),
    startOtaWindow: () => {
      // No OTA service listens because of this flag (no public OTA password, S8); kept for v1.0 clients.
      logger.log('info', `ota_start acknowledged (${OTA_WINDOW_MS} ms window); updates use the platform tools, see README`);
    },
    setupAccessPoint: () => ({ ssid: apSsid, ip: SETUP_AP_IP }),
    enterSetupMode: () => later(SETUP_SWITCH_DELAY_MS, () => enterSetup('requested by open_setup', true)),
    restartSoon,
    generateToken: () => randomString(platform.random, TOKEN_LENGTH),
    commitToken: (next) => {
      storeToken(store, next);
      token = next;
      key = deriveKey(next, platform.crypto); // the old token stops working at once, not only after the reboot
      counter.reset();
      logger.log('info', 'device token rotated; restarting');
      restartSoon();
    },
  };

  const packets = new PacketHandler({
    crypto: platform.crypto,
    random: platform.random,
    clock: platform.clock,
    logger,
    freshness: new FreshnessGuard({
      capacity: limits.freshnessCapacity,
      windowSeconds: FRESHNESS_WINDOW_SECONDS,
      floorSeconds: replayFloor.floor,
    }),
    replayFloor,
    replies: new ReplyCache(limits.replyCacheEntries),
    context,
    key: () => key,
  });

  const cloud = new CloudLink({
    websocket: platform.websocket, timers, random: platform.random, logger, deviceId: identity.deviceId, responder: packets,
  });

  const lan = new LineServer({
    port: options.lanPort ?? DEFAULT_LAN_PORT,
    maxConnections: limits.maxLanConnections,
    maxLineBytes: LAN_MAX_LINE_BYTES,
    readWindowMs: LAN_READ_WINDOW_MS,
    timers,
    logger,
    responder: packets,
  });

  const setupPage = new SetupPage({
    deviceId: identity.deviceId,
    setupPassword: identity.setupPassword,
    token: () => token,
    config: () => ({ ...config }),
    network: () => ({ mode: network.mode(), ip: mode === 'AP' ? SETUP_AP_IP : network.ip() }),
    save: (next) => {
      saveConfig(store, next);
      Object.assign(config, next);
    },
    restartSoon: () => restartSoon(),
    factoryReset: () => {
      clearConfig(store);
      clearIdentity(store);
      counter.erase();
      replayFloor.erase();
      erased = true;
      logger.log('warn', 'factory reset: settings and identity erased');
    },
    clock: platform.clock,
    random: platform.random,
  });

  const http = new HttpServer({
    port: options.httpPort ?? DEFAULT_HTTP_PORT,
    maxConnections: HTTP_MAX_CONNECTIONS,
    maxRequestBytes: HTTP_MAX_REQUEST_BYTES,
    readWindowMs: HTTP_READ_WINDOW_MS,
    timers,
    logger,
    handle: (request, client) => setupPage.handle(request, client),
  });

  function applyWebServer(): void {
    if (stopped || mode === 'booting') return;
    // In setup mode the page is the only way in, so it cannot be switched off (v1.0 rule).
    if (mode === 'AP' || config.webEnabled) startSafely('setup page', () => http.start(platform.tcp));
    else http.stop();
  }

  function applyCloud(): void {
    if (stopped) return;
    if (mode === 'STA' && config.cloudEnabled && config.relayUrl.length > 0) {
      cloud.start({ relayUrl: config.relayUrl, apiToken: config.apiToken, tlsVerify: config.tlsVerify });
    } else {
      cloud.stop();
    }
  }

  function startSafely(name: string, start: () => void): boolean {
    try {
      start();
      return true;
    } catch (error) {
      logger.log('error', `${name} could not start: ${String(error)}`);
      return false;
    }
  }

  function enterStation(): void {
    mode = 'STA';
    logger.log('info', `Wi-Fi joined, address ${network.ip()}`);
    // "ready" only once the listener exists: clients (and the simulator's tests) wait for this line.
    if (startSafely('LAN server', () => lan.start(platform.tcp))) {
      logger.log('info', `device ${identity.deviceId} ready on port ${options.lanPort ?? DEFAULT_LAN_PORT}`);
    }
    applyWebServer();
    applyCloud();
  }

  function enterSetup(reason: string, retryStation: boolean): void {
    if (stopped) return;
    mode = 'AP';
    cloud.stop();
    logger.log('warn', `setup mode (${reason}): join Wi-Fi "${apSsid}" and open http://${SETUP_AP_IP}/`);
    network.startAccessPoint(apSsid, identity.setupPassword, () => {
      if (stopped) return;
      startSafely('LAN server', () => lan.start(platform.tcp));
      applyWebServer();
    });
    // Instead of v1.0's reboot every 5 minutes (B17), retry the stored network while nobody is using the page
    // (also after open_setup: v1.0 went back to Wi-Fi after 5 minutes).
    if (retryStation) scheduleStationRetry();
  }

  /** At most one retry is pending, however often setup mode is entered. */
  let stationRetryPending = false;

  function scheduleStationRetry(): void {
    if (config.ssid.length === 0 || stationRetryPending) return;
    stationRetryPending = true;
    later(SETUP_RETRY_STATION_MS, () => {
      stationRetryPending = false;
      if (mode !== 'AP') return;
      if (setupPage.inUse()) scheduleStationRetry();
      else joinStation();
    });
  }

  function joinStation(): void {
    network.connectStation(config.ssid, config.wifiPassword, (ok) => {
      if (stopped) return;
      if (ok) enterStation();
      else enterSetup('could not join Wi-Fi', true);
    });
  }

  network.onStationLost(() => {
    if (stopped || mode !== 'STA') return;
    logger.log('warn', 'Wi-Fi link lost; rejoining');
    cloud.stop();
    mode = 'booting';
    joinStation();
  });

  logger.log('info', `WakeLink-XS ${identity.deviceId} booting`);
  if (config.ssid.length > 0) joinStation();
  else enterSetup('Wi-Fi not configured', false);

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const handle of pending) timers.clearTimeout(handle);
      pending.clear();
      lan.stop();
      http.stop();
      cloud.stop();
      if (!erased) counter.flush();
    },
    status: () => ({
      deviceId: identity.deviceId,
      mode,
      cloudStatus: cloud.status,
      requestCounter: counter.value,
      lanConnections: lan.connections,
    }),
  };
}
