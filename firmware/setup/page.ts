/**
 * Setup page logic: owner login with the per-device setup password, one session cookie, a CSRF
 * token on every form, no secret shown before login, and the Wi-Fi password never shown (S7).
 */
import { constantTimeEqual, deepFreeze, toHex, utf8Encode } from '../../shared/index';
import {
  LOGIN_GLOBAL_BUCKETS, LOGIN_GLOBAL_MAX_FAILURES, LOGIN_GLOBAL_WINDOW_MS, LOGIN_LOCKOUT_BASE_MS, LOGIN_LOCKOUT_MAX_MS,
  LOGIN_MAX_FAILURES, LOGIN_THROTTLE_MAX_CLIENTS, SESSION_TTL_MS,
} from '../constants';
import { validateConfig, type DeviceConfig } from '../config';
import type { Clock, RandomSource } from '../platform/types';
import { loginPage, messagePage, settingsPage } from './html';
import type { HttpRequest, HttpResponse } from './http';

export const SESSION_COOKIE = 'wl_session';

export interface SetupPageDeps {
  deviceId: string;
  setupPassword: string;
  token(): string;
  config(): DeviceConfig;
  network(): { mode: string; ip: string };
  /** Stores the settings (already validated). */
  save(config: DeviceConfig): void;
  /** The relay's claim code while the board has no credential; and whether it has one. */
  claimCode(): string | undefined;
  claimed(): boolean;
  /** Runs after the "saved" page was sent. */
  restartSoon(): void;
  /** Clears settings, identity and counter (spec 5.5); the caller restarts afterwards. */
  factoryReset(): void;
  clock: Clock;
  random: RandomSource;
}

/** Failed logins of one client address. */
interface Throttle {
  failures: number;
  lockouts: number;
  lockedUntil: number;
}

interface Session {
  id: string;
  csrf: string;
  expiresAt: number;
}

// Frozen (a flash table on the board); answers copy the pairs into their own header list.
const SECURITY_HEADERS = deepFreeze([
  ['Content-Type', 'text/html; charset=utf-8'],
  ['Cache-Control', 'no-store'],
  ['X-Frame-Options', 'DENY'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"],
] as Array<[string, string]>);

function html(status: number, body: string, extra: Array<[string, string]> = []): HttpResponse {
  return { status, headers: [...SECURITY_HEADERS, ...extra], body };
}

function redirect(extra: Array<[string, string]> = []): HttpResponse {
  return { status: 303, headers: [['Location', '/'], ['Cache-Control', 'no-store'], ...extra], body: '' };
}

/** application/x-www-form-urlencoded; null when malformed. */
export function parseForm(body: string): { [name: string]: string } | null {
  const out: { [name: string]: string } = {};
  if (body.length === 0) return out;
  for (const pair of body.split('&')) {
    const eq = pair.indexOf('=');
    try {
      const name = decodeURIComponent((eq >= 0 ? pair.slice(0, eq) : pair).replace(/\+/g, ' '));
      const value = decodeURIComponent((eq >= 0 ? pair.slice(eq + 1) : '').replace(/\+/g, ' '));
      if (name === '__proto__') return null;
      out[name] = value;
    } catch {
      return null;
    }
  }
  return out;
}

function cookie(request: HttpRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const same = (a: string, b: string): boolean => constantTimeEqual(utf8Encode(a), utf8Encode(b));

export class SetupPage {
  /** One owner session at a time keeps memory bounded; a new login replaces it. */
  private session: Session | null = null;
  /**
   * Per client address, so someone else on the LAN cannot lock the owner out. Insertion order is
   * age: an entry is re-inserted when it changes and the oldest goes when the table is full.
   */
  private readonly throttles = new Map<string, Throttle>();
  /** Failed logins of the whole device per time bucket (ring), so rotating addresses gains nothing. */
  private readonly failureBuckets: number[] = new Array<number>(LOGIN_GLOBAL_BUCKETS).fill(0);
  private bucketEpoch = 0;

  constructor(private readonly deps: SetupPageDeps) {}

  /** True while an owner session is live (the device then stays in setup mode). */
  inUse(): boolean {
    return this.session !== null && this.deps.clock.uptimeMs() < this.session.expiresAt;
  }

  handle(request: HttpRequest, client = ''): HttpResponse {
    const session = this.currentSession(request);
    if (request.method === 'GET' && request.path === '/') {
      return session ? html(200, this.settings(session)) : html(200, loginPage(this.deps.deviceId));
    }
    if (request.method !== 'POST') return html(request.path === '/' ? 405 : 404, messagePage('Not found', 'No such page.'));
    const form = parseForm(request.body);
    if (form === null) return html(400, messagePage('Bad request', 'The form could not be read.'));
    if (request.path === '/login') return this.login(form, client);
    if (!session || !same(form.csrf ?? '', session.csrf)) {
      return html(403, messagePage('Forbidden', 'Log in again: the session or form token is missing or stale.'));
    }
    if (request.path === '/logout') {
      this.session = null;
      return redirect([['Set-Cookie', `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`]]);
    }
    if (request.path === '/save') return this.save(form, session);
    if (request.path === '/reset') {
      if (form.confirm !== 'yes') return html(400, this.settings(session, 'Tick the confirmation box to reset.'));
      this.session = null;
      this.deps.factoryReset();
      return {
        ...html(200, messagePage('Reset', 'Settings, token and setup password erased. New ones are printed on the serial console at the next boot.')),
        after: () => this.deps.restartSoon(),
      };
    }
    return html(404, messagePage('Not found', 'No such page.'));
  }

  private currentSession(request: HttpRequest): Session | null {
    const session = this.session;
    if (!session) return null;
    if (this.deps.clock.uptimeMs() >= session.expiresAt) {
      this.session = null;
      return null;
    }
    const presented = cookie(request, SESSION_COOKIE);
    return presented !== undefined && same(presented, session.id) ? session : null;
  }

  private login(form: { [name: string]: string }, client: string): HttpResponse {
    const now = this.deps.clock.uptimeMs();
    const throttle = this.throttles.get(client);
    if ((throttle && now < throttle.lockedUntil) || this.recentFailures(now) >= LOGIN_GLOBAL_MAX_FAILURES) {
      return html(429, loginPage(this.deps.deviceId, 'Too many failed attempts; wait a little and try again.'));
    }
    if (!same(form.password ?? '', this.deps.setupPassword)) {
      this.failureBuckets[this.bucketEpoch % LOGIN_GLOBAL_BUCKETS]! += 1;
      this.recordFailure(client, throttle ?? { failures: 0, lockouts: 0, lockedUntil: 0 }, now);
      return html(403, loginPage(this.deps.deviceId, 'Wrong setup password.'));
    }
    this.throttles.delete(client);
    const id = toHex(this.deps.random.bytes(16));
    this.session = { id, csrf: toHex(this.deps.random.bytes(16)), expiresAt: now + SESSION_TTL_MS };
    return redirect([['Set-Cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`]]);
  }

  /** Failed logins of the last LOGIN_GLOBAL_WINDOW_MS (to bucket precision); moves the ring to `now`. */
  private recentFailures(now: number): number {
    const epoch = Math.floor(now / (LOGIN_GLOBAL_WINDOW_MS / LOGIN_GLOBAL_BUCKETS));
    const passed = Math.min(epoch - this.bucketEpoch, LOGIN_GLOBAL_BUCKETS);
    for (let i = 1; i <= passed; i++) this.failureBuckets[(this.bucketEpoch + i) % LOGIN_GLOBAL_BUCKETS] = 0;
    if (epoch > this.bucketEpoch) this.bucketEpoch = epoch;
    let total = 0;
    for (const count of this.failureBuckets) total += count;
    return total;
  }

  private recordFailure(client: string, throttle: Throttle, now: number): void {
    throttle.failures++;
    if (throttle.failures >= LOGIN_MAX_FAILURES) {
      throttle.failures = 0;
      throttle.lockedUntil = now + Math.min(LOGIN_LOCKOUT_BASE_MS * 2 ** throttle.lockouts, LOGIN_LOCKOUT_MAX_MS);
      throttle.lockouts = Math.min(throttle.lockouts + 1, 16);
    }
    this.throttles.delete(client);
    this.throttles.set(client, throttle);
    while (this.throttles.size > LOGIN_THROTTLE_MAX_CLIENTS) this.throttles.delete(this.throttles.keys().next().value!);
  }

  private settings(session: Session, message?: string): string {
    const config = this.deps.config();
    const net = this.deps.network();
    return settingsPage({
      deviceId: this.deps.deviceId,
      token: this.deps.token(),
      mode: net.mode,
      ip: net.ip,
      ssid: config.ssid,
      relayUrl: config.relayUrl,
      apiTokenSet: config.apiToken.length > 0,
      claimed: this.deps.claimed(),
      ...(this.deps.claimCode() ? { claimCode: this.deps.claimCode()! } : {}),
      cloudEnabled: config.cloudEnabled,
      tlsVerify: config.tlsVerify,
      csrf: session.csrf,
      ...(message ? { message } : {}),
    });
  }

  private save(form: { [name: string]: string }, session: Session): HttpResponse {
    const current = this.deps.config();
    const next: DeviceConfig = {
      ...current,
      ssid: (form.ssid ?? current.ssid).trim(),
      wifiPassword: form.pass ? form.pass : current.wifiPassword,
      relayUrl: (form.cloud_url ?? current.relayUrl).trim(),
      apiToken: form.cloud_token ? form.cloud_token.trim() : current.apiToken,
      cloudEnabled: form.cloud_enabled === '1',
      tlsVerify: form.tls_verify === '1',
    };
    const problems = validateConfig(next);
    if (problems.length > 0) return html(400, this.settings(session, 'Not saved: ' + problems.join('; ')));
    this.deps.save(next);
    this.session = null;
    return { ...html(200, messagePage('Saved', 'Settings stored. The device restarts now.')), after: () => this.deps.restartSoon() };
  }
}
