import { join } from 'node:path';
import { CliError } from './errors';
import { readJsonObjectFile, wakelinkHome, writeJsonFileAtomic } from './files';
import { stripSlash, swapScheme } from './store';

/** Relay credentials live beside devices.json, not in it, so v1.0's CLI never sees a non-device key. */
export const RELAYS_FILE = 'relays.json';

export interface RelayCredential {
  [key: string]: unknown;
  /** An `sk-` API token (kind `api_token`; for a session, the one made for boards, once needed), or a JWT (kind `jwt`). */
  api_token?: string;
  /**
   * `session` (a password login: access JWT + single-use refresh token, cli/relay-auth.ts),
   * `api_token` (long-lived, revocable) or `jwt` (older CLIs, against relays without sessions).
   */
  kind?: 'api_token' | 'jwt' | 'session';
  access_token?: string;
  /** Unix seconds. */
  access_expires_at?: number;
  refresh_token?: string;
  refresh_expires_at?: number;
  session_id?: string;
  username?: string;
  /** Unix seconds; only for JWTs. */
  expires_at?: number;
  saved?: number;
}

/** Canonical key for a relay: its HTTP(S) base URL without a trailing slash. */
export function relayKey(url: string): string {
  const base = stripSlash(/^wss?:\/\//.test(url) ? swapScheme(url) : url);
  return base;
}

/** Validates a user-supplied relay URL; there is no default host, the user always names their relay. */
export function parseRelayUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('USAGE', `"${value}" is not a URL; use e.g. https://relay.example.org or http://127.0.0.1:9009`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new CliError('USAGE', `relay URL must start with http://, https://, ws:// or wss:// (got ${url.protocol})`);
  }
  if (url.search || url.hash) throw new CliError('USAGE', 'relay URL must not contain a query or fragment');
  return relayKey(value);
}

export class RelayStore {
  readonly path: string;
  private readonly data: Record<string, unknown>;

  private constructor(path: string, data: Record<string, unknown>) {
    this.path = path;
    this.data = data;
  }

  static load(home: string = wakelinkHome()): RelayStore {
    const path = join(home, RELAYS_FILE);
    return new RelayStore(path, readJsonObjectFile(path) ?? {});
  }

  private relays(): Record<string, unknown> {
    const relays = this.data.relays;
    if (relays !== null && typeof relays === 'object' && !Array.isArray(relays)) return relays as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    this.data.relays = fresh;
    return fresh;
  }

  /** The relay `register`/`provision` use when no --relay is given: the last one logged in to. */
  defaultRelay(): string | undefined {
    return typeof this.data.default === 'string' ? this.data.default : undefined;
  }

  get(url: string): RelayCredential | undefined {
    const entry = this.relays()[relayKey(url)];
    if (entry === null || typeof entry !== 'object') return undefined;
    const credential = entry as RelayCredential;
    if (credential.kind === 'session') return typeof credential.refresh_token === 'string' && credential.refresh_token.length > 0 ? credential : undefined;
    return typeof credential.api_token === 'string' && credential.api_token.length > 0 ? credential : undefined;
  }

  set(url: string, credential: RelayCredential, makeDefault = true): void {
    const key = relayKey(url);
    this.relays()[key] = credential;
    if (makeDefault) this.data.default = key;
  }

  remove(url: string): void {
    const key = relayKey(url);
    delete this.relays()[key];
    if (this.data.default === key) delete this.data.default;
  }

  list(): Array<{ url: string; credential: RelayCredential }> {
    return Object.entries(this.relays())
      .filter(([, value]) => value !== null && typeof value === 'object')
      .map(([url, value]) => ({ url, credential: value as RelayCredential }));
  }

  save(): void {
    writeJsonFileAtomic(this.path, this.data);
  }
}
