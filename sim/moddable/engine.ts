/**
 * The `moddable` engine: the real lin build of the firmware (every Moddable module real: sockets,
 * timers, WebSocket, file-backed preferences), run by our headless host as a child process in the
 * device's state directory. The simulator's Node adapters are not involved; what this side does:
 * - passes the device settings as WAKELINK_* variables (native/lin/board.c reads them);
 * - turns the firmware's console (`[level] message` lines on stdout) into console lines;
 * - asks for status and an orderly stop over the host's control channel (stdin → reply pipe);
 * - reports a restart the firmware asked for (exit 75) so the simulator boots it again, and any
 *   other end of the process (an XS abort, a crash) as fatal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { DeviceOptions, DeviceStatus, LogLevel } from '../../firmware/platform/types';
import type { RunningDevice } from '../engines';
import type { ConsoleLine } from '../node/logger';
import { buildModdableImage, type ImageVariant, type ModdableImage } from './build';

/** Exit statuses of sim/moddable/host.c and native/lin/board.c. */
export const HOST_EXIT = { stopped: 0, aborted: 70, launch: 71, restart: 75 } as const;
/** Control requests are tiny and answered in one turn; this bounds a hung machine. */
const CONTROL_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;
const LEVELS: readonly LogLevel[] = ['info', 'warn', 'error'];

export interface ModdableBootOptions {
  image: ModdableImage;
  /** The device's state directory: the process runs there, and keeps preferences.json in it. */
  stateDir: string;
  chipId: number;
  /** The station address the device reports (its Wi-Fi is a stand-in on lin). */
  stationIp: string;
  /** More build settings to override (key → value), e.g. `crypto: 'reference'`. */
  settings: Record<string, string>;
  line: (level: ConsoleLine['level'], message: string) => void;
  /** The firmware asked for a restart (it has exited already). */
  onRestart: () => void;
  /** The process ended in any other way the simulator did not ask for. */
  onExit: (reason: string) => void;
}

type Reply = { id: number | null; ok: boolean; status?: DeviceStatus; memory?: unknown; error?: string };

export function imageFor(variant: ImageVariant = 'release'): ModdableImage {
  return buildModdableImage({ variant });
}

function settingsEnvironment(options: DeviceOptions, boot: ModdableBootOptions): Record<string, string> {
  const env: Record<string, string> = {
    WAKELINK_CHIP_ID: boot.chipId.toString(16),
    WAKELINK_STATION_IP: boot.stationIp,
    WAKELINK_PROFILE: options.profile ?? 'host',
  };
  const set = (key: string, value: string | number | boolean | undefined): void => {
    if (value !== undefined) env[`WAKELINK_${key}`] = String(value);
  };
  set('LAN_PORT', options.lanPort);
  set('HTTP_PORT', options.httpPort);
  set('WOL_ADDRESS', options.wolAddress);
  set('WOL_PORT', options.wolPort);
  set('WOL_LOCAL_PORT', options.wolLocalPort);
  const defaults = options.defaults ?? {};
  set('SSID', defaults.ssid);
  set('PASSWORD', defaults.password);
  set('RELAY_URL', defaults.relayUrl);
  set('API_TOKEN', defaults.apiToken);
  set('TLS_VERIFY', defaults.tlsVerify);
  for (const [key, value] of Object.entries(boot.settings)) {
    if (!/^[a-z0-9_]{1,48}$/.test(key)) throw new RangeError(`build setting "${key}": lower-case letters, digits and _ only`);
    set(key.toUpperCase(), value);
  }
  return env;
}

/** Only the WAKELINK_* settings and what a process needs to run: no secrets of the parent leak in. */
function childEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...settings };
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'LD_LIBRARY_PATH']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

export class ModdableProcess implements RunningDevice {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private expectedExit = false;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess, boot: ModdableBootOptions) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? null : 0))));
    child.on('error', (error) => boot.line('error', `moddable: ${error.message}`));
    createInterface({ input: child.stdout as Readable }).on('line', (text) => {
      const match = /^\[(info|warn|error)\] (.*)$/.exec(text);
      if (match && LEVELS.includes(match[1] as LogLevel)) boot.line(match[1] as LogLevel, match[2]!);
      else boot.line('info', text);
    });
    createInterface({ input: child.stderr as Readable }).on('line', (text) => boot.line('error', `moddable host: ${text}`));
    createInterface({ input: child.stdio[3] as Readable }).on('line', (text) => this.settle(text));
    void this.exited.then((code) => {
      for (const [, waiter] of this.waiting) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`the device process exited (${code ?? 'killed'})`));
      }
      this.waiting.clear();
      if (this.expectedExit) return;
      if (code === HOST_EXIT.restart) boot.onRestart();
      else boot.onExit(code === HOST_EXIT.aborted ? 'the XS machine aborted' : `the device process exited (${code ?? 'killed by a signal'})`);
    });
  }

  static start(options: DeviceOptions, boot: ModdableBootOptions): ModdableProcess {
    // Own process group, as the xs engine's child: a terminal's Ctrl-C reaches the simulator, which
    // stops the device in order. If the simulator dies, the host sees its stdin close and exits.
    const child = spawn(boot.image.host, [boot.image.library], {
      cwd: boot.stateDir,
      env: childEnvironment(settingsEnvironment(options, boot)),
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    // A closed control pipe is noticed through the exit above; nothing to add for EPIPE.
    (child.stdin as Writable).on('error', () => undefined);
    return new ModdableProcess(child, boot);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(op: 'status' | 'stop' | 'memory'): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the device did not answer "${op}" within ${CONTROL_TIMEOUT_MS} ms`));
      }, CONTROL_TIMEOUT_MS);
      this.waiting.set(id, { resolve, reject, timer });
      (this.child.stdin as Writable).write(JSON.stringify({ id, op }) + '\n');
    });
  }

  async memory(): Promise<{ pid: number | undefined; figures: unknown }> {
    const reply = await this.request('memory');
    if (!reply.ok) throw new Error(`memory failed: ${reply.error ?? 'no figures'}`);
    return { pid: this.child.pid, figures: reply.memory };
  }

  async status(): Promise<DeviceStatus> {
    const reply = await this.request('status');
    if (!reply.ok || !reply.status) throw new Error(`status failed: ${reply.error ?? 'no status'}`);
    return reply.status;
  }

  /** Orderly stop: the firmware closes everything and flushes its counter, then the host exits. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.expectedExit = true;
    try {
      await this.request('stop');
    } catch (error) {
      // Gone already (killed with its group, say): nothing is left to stop.
      if (this.child.exitCode === null && this.child.signalCode === null) throw error;
    } finally {
      (this.child.stdin as Writable).end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Power cut: SIGKILL, nothing runs in the firmware any more. */
  async kill(): Promise<void> {
    this.expectedExit = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private settle(text: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(text) as Reply;
    } catch {
      return;
    }
    if (typeof reply.id !== 'number') return;
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }
}
