/**
 * One simulated WakeLink device: state (preferences + chip id), the Node adapters, and an engine
 * that runs the firmware logic (Node or XS). Reboots — asked for by the logic or by a test — wipe
 * every socket and timer of the old boot and start the logic again over the same preferences.
 */
import type net from 'node:net';
import type { DeviceOptions, DeviceStatus } from '../firmware/platform/types';
import { readStoredText } from '../firmware/stored-text';
import { isValidToken, storeToken, TOKEN_KEY } from '../firmware/identity';
import type { Engine, Profile } from './args';
import { nodeEngine, xsEngine, type DeviceEngine, type FirmwareSource, type RunningDevice } from './engines';
import type { HostPort } from './loopback';
import { SerialConsole, type ConsoleLine } from './node/logger';
import { createNodePlatform, type NodeBoot } from './node/platform';
import { boundPort, prebindTcp } from './node/tcp';
import { openDeviceState, type DeviceState } from './state';

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
  /** The simulator cannot go on (port lost, engine died); default: print and exit(1). */
  onFatal?: (error: Error) => void;
}

export class Simulator {
  private boot: NodeBoot | undefined;
  private device: RunningDevice | undefined;
  private rebooting: Promise<void> | undefined;
  private stopped = false;
  readonly console: SerialConsole;
  readonly engine: DeviceEngine;
  /** Boots so far (1 after start). */
  boots = 0;

  private constructor(
    private readonly options: SimulatorOptions,
    private readonly state: DeviceState,
    readonly deviceId: string,
    readonly lanPort: number,
    readonly httpPort: number,
  ) {
    const secrets = [options.token, options.apiToken].filter((s): s is string => typeof s === 'string');
    this.console = new SerialConsole({ secrets: () => secrets, sink: options.sink, uptimeMs: () => this.boot?.uptimeMs() ?? 0 });
    this.engine = options.engine === 'xs'
      ? xsEngine(options.firmware, (reason) => this.fatal(new Error(reason)))
      : nodeEngine(options.firmware);
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
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
    const sim = new Simulator(options, state, deviceId, boundPort(lan), boundPort(http));
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
        const lan = await prebindTcp(this.lanPort);
        const http = await prebindTcp(this.httpPort);
        await this.bootOnce(new Map([[this.lanPort, lan], [this.httpPort, http]]));
      } finally {
        this.rebooting = undefined;
      }
    })();
    return this.rebooting;
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
    }
  }

  /** The preferences as stored (diagnostics and tests). */
  preferences(): Record<string, string> {
    return this.state.store.snapshot();
  }

  private fatal(error: Error): void {
    this.console.line('error', `sim: ${error.message}`);
    if (this.options.onFatal) this.options.onFatal(error);
    else process.exit(1);
  }
}
