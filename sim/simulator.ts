/**
 * One simulated WakeLink device: state (preferences + chip id), the Node adapters, and an engine
 * that runs the firmware logic (Node or XS). Reboots — asked for by the logic or by a test — wipe
 * every socket and timer of the old boot and start the logic again over the same preferences.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DeviceOptions, DeviceStatus } from '../firmware/platform/types';
import { readStoredText } from '../firmware/stored-text';
import { isValidToken, storeToken, TOKEN_KEY } from '../firmware/identity';
import type { Engine, Profile } from './args';
import { moddableEngine, nodeEngine, xsEngine, type DeviceEngine, type FirmwareSource, type RunningDevice } from './engines';
import { isLoopbackAddress, type HostPort } from './loopback';
import { SerialConsole, type ConsoleLine } from './node/logger';
import { createNodePlatform, type NodeBoot } from './node/platform';
import { buildModdableImage, type ImageVariant } from './moddable/build';
import { JsonFileStore } from './node/store';
import { boundPort, prebindTcp } from './node/tcp';
import { openDeviceState, PREFERENCES_FILE, type DeviceState } from './state';

/** The Wi-Fi network the simulated device is pre-configured to join (it always succeeds). */
export const SIMULATED_SSID = 'wakelink-sim';
const SIMULATED_WIFI_PASSWORD = 'simulated-wifi';

export interface SimulatorOptions {
  firmware: FirmwareSource;
  engine: Engine;
  profile?: Profile;
  deviceId?: string;
  token?: string;
  relayUrl?: string;
  apiToken?: string;
  /** 0 = any free port (the chosen port is in `lanPort` afterwards). */
  lanPort: number;
  httpPort?: number;
  wol: HostPort;
  stateDir?: string;
  /** Console lines go here instead of stdout. */
  sink?: (line: ConsoleLine, text: string) => void;
  /** Engine moddable: which build of the image (the memory bench uses the instrumented one). */
  moddableImage?: ImageVariant;
  /** Engine moddable: more build settings to override for this device (key → value, as WAKELINK_<KEY>). */
  moddableSettings?: Record<string, string>;
  /** The simulator cannot go on (port lost, engine died); default: print and exit(1). */
  onFatal?: (error: Error) => void;
}

export class Simulator {
  private boot: NodeBoot | undefined;
  private device: RunningDevice | undefined;
  private rebooting: Promise<void> | undefined;
  private stopped = false;
  /** When the current boot started (console time stamps for engines without Node adapters). */
  private bootStartedAt = performance.now();
  readonly console: SerialConsole;
  readonly engine: DeviceEngine;
  /** Boots so far (1 after start). */
  boots = 0;

  private constructor(
    private readonly options: SimulatorOptions,
    private readonly state: DeviceState,
    private readonly stateDir: { dir: string; owned: boolean } | undefined,
    readonly deviceId: string,
    readonly lanPort: number,
    readonly httpPort: number,
  ) {
    const secrets = [options.token, options.apiToken].filter((s): s is string => typeof s === 'string');
    this.console = new SerialConsole({ secrets: () => secrets, sink: options.sink, uptimeMs: () => this.boot?.uptimeMs() ?? Math.floor(performance.now() - this.bootStartedAt) });
    this.engine = this.createEngine();
  }

  private createEngine(): DeviceEngine {
    const { options } = this;
    if (options.engine === 'xs') return xsEngine(options.firmware, (reason) => this.fatal(new Error(reason)));
    if (options.engine !== 'moddable') return nodeEngine(options.firmware);
    return moddableEngine({
      stateDir: this.stateDir!.dir,
      chipId: this.state.chipId,
      stationIp: '127.0.0.1',
      settings: options.moddableSettings ?? {},
      line: (level, message) => this.console.line(level, message),
      // The process is gone already; boot it again, never inside the exit handler's own turn.
      onRestart: () => setImmediate(() => void this.reboot().catch((error: Error) => this.fatal(error))),
      onExit: (reason) => this.fatal(new Error(reason)),
    }, options.moddableImage);
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    if (options.engine === 'moddable') return Simulator.startModdable(options);
    const state = openDeviceState(options.stateDir, options.deviceId);
    const deviceId = 'WL' + state.chipId.toString(16).toUpperCase();
    // Bind first: a busy port is a clear start-up error, and port 0 becomes a real port the logic is told.
    const lan = await prebindTcp(options.lanPort);
    let http: net.Server;
    try {
      http = await prebindTcp(options.httpPort ?? 0);
    } catch (error) {
      lan.close();
      throw error;
    }
    const sim = new Simulator(options, state, undefined, deviceId, boundPort(lan), boundPort(http));
    sim.seedToken();
    try {
      await sim.bootOnce(new Map([[sim.lanPort, lan], [sim.httpPort, http]]));
    } catch (error) {
      lan.close();
      http.close();
      throw error;
    }
    return sim;
  }

  /**
   * The real lin build runs in its own process and binds its own ports: they are checked free (and
   * port 0 made a real one) here, then handed to it. Without --state it gets a temporary directory,
   * removed at stop, so it behaves as the in-memory store of the other engines.
   */
  private static async startModdable(options: SimulatorOptions): Promise<Simulator> {
    if (!isLoopbackAddress(options.wol.host) || options.wol.host.includes(':')) {
      throw new RangeError('--engine moddable sends magic packets over IPv4 only: use a 127.x.y.z --wol address');
    }
    // Built (or found up to date) before the first boot line, so the console's times are the device's.
    buildModdableImage({ variant: options.moddableImage ?? 'release' });
    const owned = options.stateDir === undefined;
    const dir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'wl-sim-moddable-'));
    try {
      const state = openDeviceState(dir, options.deviceId);
      const deviceId = 'WL' + state.chipId.toString(16).toUpperCase();
      const lanPort = await freePort(options.lanPort, '--lan-port');
      const httpPort = await freePort(options.httpPort ?? 0, '--http-port');
      const sim = new Simulator(options, state, { dir, owned }, deviceId, lanPort, httpPort);
      sim.seedToken();
      await sim.bootOnce(new Map());
      return sim;
    } catch (error) {
      if (owned) rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** `--token` provisions a blank device; a token already in the state (e.g. after update_token) wins. */
  private seedToken(): void {
    const { token } = this.options;
    if (token === undefined) return;
    const stored = readStoredText(this.state.store, TOKEN_KEY);
    if (isValidToken(stored) && stored !== token) {
      this.console.line('sim', '--token ignored: the saved state already holds a device token (rotated by update_token?); use a fresh --state to re-provision');
      return;
    }
    if (stored !== token) storeToken(this.state.store, token);
  }

  private deviceOptions(): DeviceOptions {
    const { options } = this;
    const defaults: NonNullable<DeviceOptions['defaults']> = { ssid: SIMULATED_SSID, password: SIMULATED_WIFI_PASSWORD, tlsVerify: true };
    if (options.relayUrl !== undefined) defaults.relayUrl = options.relayUrl;
    if (options.apiToken !== undefined) defaults.apiToken = options.apiToken;
    return {
      profile: options.profile ?? 'host',
      lanPort: this.lanPort,
      httpPort: this.httpPort,
      wolAddress: options.wol.host.replace(/^\[|\]$/g, ''),
      wolPort: options.wol.port,
      wolLocalPort: 0,
      defaults,
    };
  }

  private async bootOnce(prebound: Map<number, net.Server>): Promise<void> {
    this.boots++;
    this.bootStartedAt = performance.now();
    if (!this.engine.nodePlatform) {
      this.console.line('sim', `boot ${this.boots}: engine ${this.engine.name}, LAN 127.0.0.1:${this.lanPort}, setup page http://127.0.0.1:${this.httpPort}/, magic packets to ${this.options.wol.host}:${this.options.wol.port}`);
      this.device = await this.engine.boot(undefined, this.deviceOptions(), (message) => this.console.line('error', message));
      return;
    }
    this.boot = createNodePlatform({
      chipId: this.state.chipId,
      profile: this.options.profile ?? 'host',
      wolTarget: this.options.wol,
      store: this.state.store,
      console: this.console,
      prebound,
      onRestart: () => {
        // Never inside the logic's own call: the reboot runs on a later turn.
        setImmediate(() => void this.reboot().catch((error: Error) => this.fatal(error)));
      },
      onFatal: (error) => this.fatal(error),
    });
    this.console.line('sim', `boot ${this.boots}: engine ${this.engine.name}, LAN 127.0.0.1:${this.lanPort}, setup page http://127.0.0.1:${this.httpPort}/, magic packets to ${this.options.wol.host}:${this.options.wol.port}`);
    // A port the logic has not taken over (yet: it listens once Wi-Fi is up) dies with the boot.
    for (const [port, server] of prebound) {
      this.boot.resources.track(() => {
        if (prebound.delete(port)) server.close();
      });
    }
    this.device = await this.engine.boot(this.boot, this.deviceOptions(), (message) => this.console.line('error', message));
  }

  /** Power-cycles the device: no orderly stop, every socket and timer of this boot dies. */
  reboot(): Promise<void> {
    if (this.rebooting) return this.rebooting;
    this.rebooting = (async () => {
      try {
        this.console.line('sim', 'reboot');
        await this.device?.kill();
        this.boot?.resources.closeAll();
        if (this.stopped) return;
        if (!this.engine.nodePlatform) {
          await this.bootOnce(new Map());
          return;
        }
        const lan = await prebindTcp(this.lanPort);
        const http = await prebindTcp(this.httpPort);
        await this.bootOnce(new Map([[this.lanPort, lan], [this.httpPort, http]]));
      } finally {
        this.rebooting = undefined;
      }
    })();
    return this.rebooting;
  }

  /** The real build only (engine moddable): XS memory figures after a forced GC. */
  async memory(): Promise<{ pid: number | undefined; figures: unknown }> {
    if (this.rebooting) await this.rebooting;
    if (!this.device?.memory) throw new Error(`engine ${this.engine.name} has no memory figures`);
    return this.device.memory();
  }

  async status(): Promise<DeviceStatus> {
    if (this.rebooting) await this.rebooting;
    if (!this.device) throw new Error('device is not running');
    return this.device.status();
  }

  /** Orderly shutdown: the logic stops (flushing its counter), then everything left is closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.rebooting) await this.rebooting.catch(() => undefined);
    try {
      await this.device?.stop();
    } finally {
      this.boot?.resources.closeAll();
      if (this.stateDir?.owned) rmSync(this.stateDir.dir, { recursive: true, force: true });
    }
  }

  /** The preferences as stored (diagnostics and tests). */
  preferences(): Record<string, string> {
    // The lin build writes the file itself: read what it holds now.
    if (this.stateDir) return new JsonFileStore(path.join(this.stateDir.dir, PREFERENCES_FILE)).snapshot();
    return this.state.store.snapshot();
  }

  private fatal(error: Error): void {
    this.console.line('error', `sim: ${error.message}`);
    if (this.options.onFatal) this.options.onFatal(error);
    else process.exit(1);
  }
}

/** A port the lin build can bind (it listens on every interface), checked now; 0 picks a free one. */
function freePort(port: number, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: Error) => reject(new Error(`${flag} ${port} cannot be used: ${error.message}`)));
    probe.listen(port, '0.0.0.0', () => {
      const chosen = boundPort(probe);
      probe.close(() => resolve(chosen));
    });
  });
}
