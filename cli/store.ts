import { join } from 'node:path';
import { CliError } from './errors';
import { readJsonObjectFile, wakelinkHome, writeJsonFileAtomic } from './files';

export const DEVICES_FILE = 'devices.json';
export const DEFAULT_TCP_PORT = 99;

/**
 * One device as the v1.0 Python CLI stores it (spec 6.3). Every other key a future or older tool
 * wrote is kept untouched: entries are edited in place, never rebuilt.
 */
export interface DeviceEntry {
  [key: string]: unknown;
  token?: string;
  port?: number;
  cloud?: boolean;
  device_id?: string;
  added?: number;
  ip?: string;
  api_token?: string;
  http_url?: string;
  wss_url?: string;
  protocol?: string;
  /** Legacy single relay URL; its scheme says whether it is the HTTP or the WSS base. */
  url?: string;
}

/** Names that plain-object code treats specially; refused for new devices. */
const RESERVED_NAMES = ['__proto__', 'constructor', 'prototype'];

/** devices.json: a JSON object keyed by the user's device names, read and rewritten losslessly. */
export class DeviceStore {
  readonly path: string;
  private readonly devices: Record<string, unknown>;

  private constructor(path: string, devices: Record<string, unknown>) {
    this.path = path;
    this.devices = devices;
  }

  static load(home: string = wakelinkHome()): DeviceStore {
    const path = join(home, DEVICES_FILE);
    return new DeviceStore(path, readJsonObjectFile(path) ?? {});
  }

  names(): string[] {
    return Object.keys(this.devices);
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.devices, name);
  }

  /** The entry itself (edits change the store); entries that are not objects are reported, not guessed at. */
  get(name: string): DeviceEntry {
    if (!this.has(name)) {
      const known = this.names();
      const hint = known.length > 0 ? ` (known: ${known.join(', ')})` : ' (none saved yet: see `wakelink add --help`)';
      throw new CliError('UNKNOWN_DEVICE', `no device named "${name}" in ${this.path}${hint}`);
    }
    const entry = this.devices[name];
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new CliError('STORE', `entry "${name}" in ${this.path} is not a JSON object`);
    }
    return entry as DeviceEntry;
  }

  /** Raw value for listing, including malformed entries. */
  raw(name: string): unknown {
    return this.devices[name];
  }

  /**
   * Defined, not assigned: `devices["__proto__"] = x` would replace the prototype and the entry
   * would vanish on save. Such names are refused for new entries; one already in the file is kept.
   */
  set(name: string, entry: DeviceEntry): void {
    if (!this.has(name) && RESERVED_NAMES.includes(name)) {
      throw new CliError('USAGE', `"${name}" cannot be used as a device name (reserved in JavaScript objects); pick another name`);
    }
    Object.defineProperty(this.devices, name, { value: entry, enumerable: true, writable: true, configurable: true });
  }

  remove(name: string): void {
    this.get(name);
    delete this.devices[name];
  }

  save(): void {
    writeJsonFileAtomic(this.path, this.devices);
  }

  toJSON(): Record<string, unknown> {
    return this.devices;
  }
}

export type TransportName = 'tcp' | 'http' | 'wss';

export interface TcpTarget { transport: 'tcp'; host: string; port: number }
export interface CloudTarget { transport: 'http' | 'wss'; httpBase?: string; wssBase?: string; apiToken?: string }
export type Target = TcpTarget | CloudTarget;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** https↔wss and http↔ws: v1.0 derives the missing relay base from the other one. */
export function swapScheme(url: string): string {
  if (url.startsWith('https://')) return `wss://${url.slice(8)}`;
  if (url.startsWith('http://')) return `ws://${url.slice(7)}`;
  if (url.startsWith('wss://')) return `https://${url.slice(6)}`;
  if (url.startsWith('ws://')) return `http://${url.slice(5)}`;
  return url;
}

export function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function relayBases(entry: DeviceEntry): { httpBase?: string; wssBase?: string } {
  let http = text(entry.http_url);
  let wss = text(entry.wss_url);
  const legacy = text(entry.url);
  if (legacy && !http && !wss) {
    if (/^wss?:\/\//.test(legacy)) wss = legacy;
    else http = legacy;
  }
  http ??= wss ? swapScheme(wss) : undefined;
  wss ??= http ? swapScheme(http) : undefined;
  return { httpBase: http ? stripSlash(http) : undefined, wssBase: wss ? stripSlash(wss) : undefined };
}

/** v1.0's choice: an explicit override wins; a relay URL means cloud (default http); else TCP. */
export function chooseTransport(entry: DeviceEntry, override?: TransportName): TransportName {
  if (override) return override;
  const { httpBase, wssBase } = relayBases(entry);
  if (httpBase || wssBase) return entry.protocol === 'wss' ? 'wss' : 'http';
  return 'tcp';
}

export function resolveTarget(name: string, entry: DeviceEntry, override?: TransportName): Target {
  const transport = chooseTransport(entry, override);
  if (transport === 'tcp') {
    const host = text(entry.ip);
    if (!host) throw new CliError('USAGE', `device "${name}" has no ip; set one with \`wakelink update ${name} --ip ADDRESS\``);
    const port = entry.port === undefined || entry.port === null ? DEFAULT_TCP_PORT : entry.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new CliError('STORE', `device "${name}" has an invalid port ${JSON.stringify(entry.port)}`);
    }
    return { transport, host, port };
  }
  const bases = relayBases(entry);
  if (!bases.httpBase) {
    throw new CliError('USAGE', `device "${name}" has no relay URL; set one with \`wakelink update ${name} --relay URL\``);
  }
  return { transport, ...bases, apiToken: text(entry.api_token) };
}

export function deviceIdOf(name: string, entry: DeviceEntry): string {
  return text(entry.device_id) ?? name;
}
