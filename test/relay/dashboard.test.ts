import { signerFactory } from '@fastify/cookie';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import { deriveKeys } from '../../server/auth/keys';
import { SessionStore } from '../../server/dashboard/sessions';
import { createDashboardRoutes, dashboardRoutes } from '../../server/routes/dashboard';
import { ManualClock, TEST_SECRET, tempDir } from './helpers/relay';

/** A tiny cookie-keeping form client over app.inject(), like a browser without script. */
class FormClient {
  readonly jar = new Map<string, string>();
  last!: LightMyRequestResponse;

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, cookies: Object.fromEntries(this.jar) }));
  }

  async post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({
      method: 'POST', url, cookies: Object.fromEntries(this.jar),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
    }));
  }

  /** GETs a page and returns the CSRF token of its first form. */
  async csrfFrom(url: string): Promise<string> {
    const page = await this.get(url);
    expect(page.statusCode).toBe(200);
    return csrfOf(page.body);
  }

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (gone) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
    this.last = res;
    return res;
  }
}

function csrfOf(body: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(body);
  if (!match) throw new Error('no csrf field on the page');
  return match[1]!;
}

function newTokenOf(body: string): string | null {
  return /<code id="new-token" class="secret">([^<]+)<\/code>/.exec(body)?.[1] ?? null;
}

const PASSWORD = 'correct horse battery';
let counter = 0;
const uniqueName = () => `dash${process.pid}_${++counter}`;

interface TestRelay { app: FastifyInstance; dir: string; dbFile: string; clock: ManualClock }

async function makeRelay(env: Record<string, string> = {}, throttle = {}): Promise<TestRelay> {
  const dir = tempDir('wl-dash-');
  const dbFile = join(dir, 'relay.db');
  const clock = new ManualClock(Date.now());
  const config = loadConfig({ DATABASE_FILE: dbFile, CLOUD_PORT: '0', SECRET_KEY: TEST_SECRET, LOG_LEVEL: 'silent', ...env });
  const app = await buildApp({
    config, logger: false, clock, routePlugins: [createDashboardRoutes()],
    throttle: { registrationsPerIp: 1000, loginFailuresPerAccount: 3, ...throttle },
  });
  return { app, dir, dbFile, clock };
}

/** Registers through the form; returns the signed-in client and the first API token it was shown. */
async function signUp(app: FastifyInstance, username = uniqueName()): Promise<{ client: FormClient; username: string; firstToken: string }> {
  const client = new FormClient(app);
  const csrf = await client.csrfFrom('/register');
  const res = await client.post('/register', { csrf, username, password: PASSWORD, confirm: PASSWORD });
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe('/dashboard');
  const dash = await client.get('/dashboard');
  expect(dash.statusCode).toBe(200);
  const firstToken = newTokenOf(dash.body);
  if (!firstToken) throw new Error('first token not shown after registration');
  return { client, username, firstToken };
}

async function apiCall(app: FastifyInstance, method: 'GET' | 'POST', url: string, token: string, payload?: object) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
}

async function tokenCount(app: FastifyInstance, token: string): Promise<number> {
  const res = await apiCall(app, 'GET', '/api/tokens', token);
  expect(res.statusCode).toBe(200);
  return res.json().tokens.length;
}

/**
 * `liveScript`: the dashboard page alone runs the relay's own /dashboard.js (live presence, issue
 * 13): its CSP allows scripts and connections of this origin only, and the page has no other
 * script, inline or not.
 */
function expectStrictPageHeaders(res: LightMyRequestResponse, liveScript = false): void {
  const csp = String(res.headers['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(String(res.headers['content-type'])).toMatch(/^text\/html; charset=utf-8/);
  if (liveScript) {
    expect(csp).toContain("script-src 'self'; connect-src 'self'");
    expect(res.body.match(/<script[^>]*>/gi)).toEqual(['<script src="/dashboard.js" defer>']);
    expect(res.body).toMatch(/<script src="\/dashboard.js" defer><\/script>/);
  } else {
    expect(csp).not.toContain('script-src');
    expect(res.body).not.toMatch(/<script/i);
  }
  expect(res.body).not.toMatch(/\son[a-z]+=/i);
}

describe('dashboard over app.inject()', () => {
  let relay: TestRelay;
  let app: FastifyInstance;

  beforeAll(async () => {
    relay = await makeRelay();
    app = relay.app;
  });
  afterAll(async () => {
    await app.close();
    rmSync(relay.dir, { recursive: true, force: true });
  });

  it('S16: the landing page links to login and register and reveals no database path', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expectStrictPageHeaders(res);
    expect(res.body).toContain('href="/login"');
    expect(res.body).toContain('href="/register"');
    expect(res.body).not.toContain(relay.dir);
    expect(res.body).not.toMatch(/\.db\b|sqlite/i);
  });

  it('every page (forms, dashboard, errors) carries the strict security headers and no script', async () => {
    const { client } = await signUp(app);
    expectStrictPageHeaders(await client.get('/dashboard'), true);
    expectStrictPageHeaders(await client.get('/logout'));
    expectStrictPageHeaders(await client.post('/dashboard/tokens', { csrf: 'wrong' }));
    const anonymous = new FormClient(app);
    expectStrictPageHeaders(await anonymous.get('/login'));
    expectStrictPageHeaders(await anonymous.get('/register'));
    const css = await app.inject({ method: 'GET', url: '/dashboard.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('S11: session cookie is signed, HttpOnly, SameSite=Lax, not Secure on plain http in development; carries no user id or token', async () => {
    const client = new FormClient(app);
    const csrf = await client.csrfFrom('/register');
    const formCookie = client.last.cookies.find((c) => c.name === 'wl_form');
    expect(formCookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const username = uniqueName();
    const res = await client.post('/register', { csrf, username, password: PASSWORD, confirm: PASSWORD });
    expect(res.statusCode).toBe(303);
    const session = res.cookies.find((c) => c.name === 'wl_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session?.secure).toBeFalsy();
    expect(session?.maxAge).toBeGreaterThan(0);
    const setCookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []).join('\n');
    expect(setCookies).not.toContain('sk-');
    expect(setCookies).not.toMatch(/user_id|username|api_token/);
    // The value is `<random id>.<HMAC>`, nothing a client could derive from the user id.
    expect(session!.value).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/]{43}$/);

    const dash = await client.get('/dashboard');
    const token = newTokenOf(dash.body)!;
    expect(token).toMatch(/^sk-/);
    expect((await apiCall(app, 'GET', '/api/tokens', token)).statusCode).toBe(200);
    expect(setCookies).not.toContain(token);
    expect(([] as string[]).concat(dash.headers['set-cookie'] ?? []).join('')).not.toContain(token);
  });

  it('S11: forged, tampered, foreign-key and v1.0-style cookies are refused with a redirect to /login', async () => {
    const { client } = await signUp(app);
    const good = client.jar.get('wl_session')!;
    const [id, mac] = good.split('.') as [string, string];
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
    const forged: Record<string, string>[] = [
      { wl_session: '1' },
      { user_id: '1' },
      { user_id: '1', username: 'someone' },
      { wl_session: `${id}.${flip(mac)}` },
      { wl_session: `${flip(id)}.${mac}` },
      { wl_session: id },
      { wl_session: signerFactory('not the relay key at all, 0123456789abcdef').sign(id) },
      { wl_session: signerFactory(deriveKeys(new TextEncoder().encode(TEST_SECRET)).cookie).sign('1') },
    ];
    for (const cookies of forged) {
      const res = await app.inject({ method: 'GET', url: '/dashboard', cookies });
      expect(res.statusCode, JSON.stringify(cookies)).toBe(303);
      expect(res.headers.location).toBe('/login');
      expect(res.body).not.toContain('new-token');
    }
    // The genuine cookie still works, so the refusals above were about the cookie.
    expect((await client.get('/dashboard')).statusCode).toBe(200);
  });

  it('a state-changing post with a forged cookie changes nothing and redirects to /login', async () => {
    const { client, firstToken } = await signUp(app);
    const csrf = csrfOf((await client.get('/dashboard')).body);
    const before = await tokenCount(app, firstToken);
    const res = await app.inject({
      method: 'POST', url: '/dashboard/tokens', cookies: { wl_session: client.jar.get('wl_session')!.slice(0, -2) + 'xx' },
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ csrf, name: 'forged' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect(await tokenCount(app, firstToken)).toBe(before);
  });

  it('CSRF: missing, wrong, other-session and pre-login tokens are refused with 403 and nothing changes', async () => {
    const { client, firstToken } = await signUp(app);
    const other = await signUp(app);
    const otherCsrf = csrfOf((await other.client.get('/dashboard')).body);
    const formCsrf = await new FormClient(app).csrfFrom('/login');
    const register = await apiCall(app, 'POST', '/api/register_device', firstToken, { device_id: 'WLC5F01', device_data: { name: 'desk' } });
    expect(register.statusCode).toBe(200);
    const tokenId = (await apiCall(app, 'GET', '/api/tokens', firstToken)).json().tokens[0].id as number;

    for (const csrf of [undefined, '', 'wrong', otherCsrf, formCsrf]) {
      const fields = (extra: Record<string, string>) => (csrf === undefined ? extra : { ...extra, csrf });
      expect((await client.post('/dashboard/tokens', fields({ name: 'x' }))).statusCode).toBe(403);
      expect((await client.post('/dashboard/tokens/revoke', fields({ token_id: String(tokenId) }))).statusCode).toBe(403);
      expect((await client.post('/dashboard/delete_device', fields({ device_id: 'WLC5F01' }))).statusCode).toBe(403);
      expect((await client.post('/logout', fields({}))).statusCode).toBe(403);
    }
    expect(await tokenCount(app, firstToken)).toBe(1);
    const devices = (await apiCall(app, 'GET', '/api/devices', firstToken)).json();
    expect(devices.devices.map((d: { device_id: string }) => d.device_id)).toEqual(['WLC5F01']);
    expect((await client.get('/dashboard')).statusCode).toBe(200); // still signed in
  });

  it('CSRF: login and register without the form cookie or with a wrong token are refused and create nothing', async () => {
    const username = uniqueName();
    const noCookie = await app.inject({
      method: 'POST', url: '/register', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username, password: PASSWORD, confirm: PASSWORD, csrf: 'x' }).toString(),
    });
    expect(noCookie.statusCode).toBe(403);
    const client = new FormClient(app);
    await client.csrfFrom('/register');
    expect((await client.post('/register', { username, password: PASSWORD, confirm: PASSWORD, csrf: 'wrong' })).statusCode).toBe(403);
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: PASSWORD } });
    expect(login.statusCode).toBe(401); // no account was created

    const { username: existing } = await signUp(app);
    const loginClient = new FormClient(app);
    await loginClient.csrfFrom('/login');
    const refused = await loginClient.post('/login', { username: existing, password: PASSWORD, csrf: 'wrong' });
    expect(refused.statusCode).toBe(403);
    expect(loginClient.jar.has('wl_session')).toBe(false);
  });

  it('the new API token is shown exactly once and never stored in plain text in the SQLite files', async () => {
    const { client, firstToken } = await signUp(app);
    const csrf = csrfOf((await client.get('/dashboard')).body);
    const created = await client.post('/dashboard/tokens', { csrf, name: 'laptop' });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/dashboard');
    const shown = await client.get('/dashboard');
    const token = newTokenOf(shown.body);
    expect(token).toMatch(/^sk-[A-Za-z0-9_-]{43,}$/);
    expect(shown.body.split(token!).length - 1).toBe(1);
    expect(shown.body).toContain(token!.slice(0, 11)); // the prefix column
    const again = await client.get('/dashboard');
    expect(again.body).not.toContain(token!);
    expect(newTokenOf(again.body)).toBeNull();
    expect((await apiCall(app, 'GET', '/api/tokens', token!)).statusCode).toBe(200);

    const bytes = ['', '-wal', '-shm'].map((suffix) => relay.dbFile + suffix).filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes).toContain(token!.slice(0, 11)); // the prefix is stored, so the scan really reads rows
    expect(bytes).not.toContain(token!);
    expect(bytes).not.toContain(firstToken);
  });

  it('escapes every value: a <script> username on the register form, device and token names', async () => {
    const client = new FormClient(app);
    const csrf = await client.csrfFrom('/register');
    const evil = '<script>alert(1)</script>';
    const res = await client.post('/register', { csrf, username: evil, password: PASSWORD, confirm: PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(res.body).toContain('only letters, digits, underscore, dot and hyphen');
    expect(res.body).not.toContain(evil);

    const loginClient = new FormClient(app);
    const loginCsrf = await loginClient.csrfFrom('/login');
    const quoted = '"><img src=x onerror=alert(1)>';
    const failed = await loginClient.post('/login', { csrf: loginCsrf, username: quoted, password: 'whatever1' });
    expect(failed.body).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(failed.body).not.toContain('<img');

    const { client: owner, firstToken } = await signUp(app);
    const deviceName = '<img src=x onerror=alert(2)>&"\'';
    expect((await apiCall(app, 'POST', '/api/register_device', firstToken, { device_id: 'WLE5C001', device_data: { name: deviceName } })).statusCode).toBe(200);
    const dashCsrf = csrfOf((await owner.get('/dashboard')).body);
    await owner.post('/dashboard/tokens', { csrf: dashCsrf, name: '</code><script>alert(3)</script>' });
    const dash = await owner.get('/dashboard');
    expect(dash.body).toContain('&lt;img src=x onerror=alert(2)&gt;&amp;&quot;&#39;');
    expect(dash.body).toContain('&lt;/code&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    // The only script element is the relay's own live-presence script.
    expect(dash.body.replace('<script src="/dashboard.js" defer></script>', '')).not.toMatch(/<script|<img/i);
  });

  it('registration validates with clear, field-specific messages and keeps the username', async () => {
    const client = new FormClient(app);
    const cases: [Record<string, string>, number, string][] = [
      [{ username: '', password: PASSWORD, confirm: PASSWORD }, 400, 'Choose a username.'],
      [{ username: 'ab', password: PASSWORD, confirm: PASSWORD }, 400, 'must be 3 to 32 characters long'],
      [{ username: 'a'.repeat(33), password: PASSWORD, confirm: PASSWORD }, 400, 'must be 3 to 32 characters long'],
      [{ username: 'has space', password: PASSWORD, confirm: PASSWORD }, 400, 'only letters, digits'],
      [{ username: uniqueName(), password: 'short', confirm: 'short' }, 400, 'at least 8 characters'],
      [{ username: uniqueName(), password: PASSWORD, confirm: PASSWORD + 'x' }, 400, 'do not match'],
    ];
    for (const [fields, status, message] of cases) {
      const csrf = await client.csrfFrom('/register');
      const res = await client.post('/register', { ...fields, csrf });
      expect(res.statusCode, message).toBe(status);
      expect(res.body).toContain(message);
      expect(res.body).not.toContain(PASSWORD);
      expect(client.jar.has('wl_session')).toBe(false);
    }
    const { username } = await signUp(app);
    const csrf = await client.csrfFrom('/register');
    const taken = await client.post('/register', { csrf, username, password: PASSWORD, confirm: PASSWORD });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('That username is already taken.');
  });

  it('login: one generic message for unknown user and wrong password; fresh session id on login', async () => {
    const { client: first, username } = await signUp(app);
    const oldSession = first.jar.get('wl_session')!;
    const client = new FormClient(app);
    const unknown = await client.post('/login', { csrf: await client.csrfFrom('/login'), username: uniqueName(), password: PASSWORD });
    const wrong = await client.post('/login', { csrf: await client.csrfFrom('/login'), username, password: 'not the password' });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    const message = (body: string) => /role="alert">([^<]+)</.exec(body)?.[1];
    expect(message(unknown.body)).toBe('Invalid username or password.');
    expect(message(wrong.body)).toBe(message(unknown.body));

    // A browser that still holds a session cookie gets a new id on login; the old one stops working.
    const fresh = new FormClient(app);
    const csrf = await fresh.csrfFrom('/login');
    fresh.jar.set('wl_session', oldSession);
    const loggedIn = await fresh.post('/login', { csrf, username, password: PASSWORD });
    expect(loggedIn.statusCode).toBe(303);
    expect(fresh.jar.get('wl_session')).not.toBe(oldSession);
    expect((await fresh.get('/dashboard')).statusCode).toBe(200);
    const stale = await app.inject({ method: 'GET', url: '/dashboard', cookies: { wl_session: oldSession } });
    expect(stale.statusCode).toBe(303);
  });

  it('logout ends the session on the server: the old cookie no longer opens the dashboard', async () => {
    const { client } = await signUp(app);
    const cookie = client.jar.get('wl_session')!;
    const confirm = await client.get('/logout');
    expect(confirm.statusCode).toBe(200);
    const res = await client.post('/logout', { csrf: csrfOf(confirm.body) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(client.jar.has('wl_session')).toBe(false);
    const replay = await app.inject({ method: 'GET', url: '/dashboard', cookies: { wl_session: cookie } });
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toBe('/login');
  });

  it('sessions expire when idle and after their absolute lifetime', async () => {
    const idle = await signUp(app);
    relay.clock.advance(2 * 3600_000 + 1);
    const res = await idle.client.get('/dashboard');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');

    // Active every 90 minutes (never idle), yet over after 8 hours.
    const busy = await signUp(app);
    for (let hour = 1.5; hour < 8; hour += 1.5) {
      relay.clock.advance(90 * 60_000);
      expect((await busy.client.get('/dashboard')).statusCode, `at ${hour} h`).toBe(200);
    }
    relay.clock.advance(90 * 60_000);
    expect((await busy.client.get('/dashboard')).statusCode).toBe(303);
  });

  it('the token limit is answered with a clear 403 page, not a 500', async () => {
    const { client, firstToken } = await signUp(app);
    const csrf = csrfOf((await client.get('/dashboard')).body);
    for (let i = 1; i < 20; i++) expect((await client.post('/dashboard/tokens', { csrf, name: `t${i}` })).statusCode).toBe(303);
    const refused = await client.post('/dashboard/tokens', { csrf, name: 'one too many' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('At most 20 API tokens per user');
    expect(await tokenCount(app, firstToken)).toBe(20);
  });

  it('devices: listed with status and last seen; delete and revoke act only on your own things', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    expect((await apiCall(app, 'POST', '/api/register_device', alice.firstToken, { device_id: 'WLA11CE1', device_data: { name: 'nas' } })).statusCode).toBe(200);
    expect((await apiCall(app, 'POST', '/api/register_device', bob.firstToken, { device_id: 'WLB0B001' })).statusCode).toBe(200);
    const page = await alice.client.get('/dashboard');
    expect(page.body).toContain('data-device="WLA11CE1"');
    expect(page.body).toContain('Offline');
    expect(page.body).toContain('1 of 5');
    expect(page.body).not.toContain('WLB0B001');

    const csrf = csrfOf(page.body);
    const foreign = await alice.client.post('/dashboard/delete_device', { csrf, device_id: 'WLB0B001' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toContain('Device not found or access denied');
    const bobTokenId = (await apiCall(app, 'GET', '/api/tokens', bob.firstToken)).json().tokens[0].id as number;
    expect((await alice.client.post('/dashboard/tokens/revoke', { csrf, token_id: String(bobTokenId) })).statusCode).toBe(404);
    expect((await apiCall(app, 'GET', '/api/devices', bob.firstToken)).json().devices_count).toBe(1);

    const deleted = await alice.client.post('/dashboard/delete_device', { csrf, device_id: 'WLA11CE1' });
    expect(deleted.statusCode).toBe(303);
    expect((await apiCall(app, 'GET', '/api/devices', alice.firstToken)).json().devices_count).toBe(0);
    expect((await alice.client.get('/dashboard')).body).toContain('Device WLA11CE1 deleted.');

    const aliceTokenId = (await apiCall(app, 'GET', '/api/tokens', alice.firstToken)).json().tokens[0].id as number;
    expect((await alice.client.post('/dashboard/tokens/revoke', { csrf, token_id: String(aliceTokenId) })).statusCode).toBe(303);
    expect((await apiCall(app, 'GET', '/api/tokens', alice.firstToken)).statusCode).toBe(401);
    expect((await alice.client.post('/dashboard/tokens/revoke', { csrf, token_id: 'abc' })).statusCode).toBe(400);
  });

  it('B: odd form bodies get an HTML error page, never a crash', async () => {
    const { client } = await signUp(app);
    const csrf = csrfOf((await client.get('/dashboard')).body);
    const big = await app.inject({
      method: 'POST', url: '/dashboard/tokens', cookies: Object.fromEntries(client.jar),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf=${csrf}&name=${'a'.repeat(8000)}`,
    });
    expect(big.statusCode).toBe(413);
    expectStrictPageHeaders(big);
    const repeated = await app.inject({
      method: 'POST', url: '/dashboard/tokens', cookies: Object.fromEntries(client.jar),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `csrf=${csrf}&csrf=${csrf}&name=a`,
    });
    expect(repeated.statusCode).toBe(403);
    const longName = await client.post('/dashboard/tokens', { csrf, name: 'n'.repeat(65) });
    expect(longName.statusCode).toBe(400);
    expect(longName.body).toContain('at most 64 characters');
  });
});

describe('dashboard throttling and production cookies', () => {
  it('L6: login failures respect the AuthService throttle (429 page with Retry-After, even for the right password)', async () => {
    const relay = await makeRelay({}, { loginFailuresPerAccount: 3 });
    try {
      const { username } = await signUp(relay.app);
      const client = new FormClient(relay.app);
      for (let i = 0; i < 3; i++) {
        const res = await client.post('/login', { csrf: await client.csrfFrom('/login'), username, password: `wrong password ${i}` });
        expect(res.statusCode).toBe(401);
      }
      const throttled = await client.post('/login', { csrf: await client.csrfFrom('/login'), username, password: PASSWORD });
      expect(throttled.statusCode).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(throttled.body).toContain('Too many attempts');
      expect(client.jar.has('wl_session')).toBe(false);
      expectStrictPageHeaders(throttled);
      relay.clock.advance(Number(throttled.headers['retry-after']) * 1000 + 1);
      const later = await client.post('/login', { csrf: await client.csrfFrom('/login'), username, password: PASSWORD });
      expect(later.statusCode).toBe(303);
    } finally {
      await relay.app.close();
      rmSync(relay.dir, { recursive: true, force: true });
    }
  });

  it('registration throttling per IP answers with a 429 page', async () => {
    const relay = await makeRelay({}, { registrationsPerIp: 1 });
    try {
      await signUp(relay.app);
      const client = new FormClient(relay.app);
      const name = uniqueName();
      const res = await client.post('/register', { csrf: await client.csrfFrom('/register'), username: name, password: PASSWORD, confirm: PASSWORD });
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await relay.app.close();
      rmSync(relay.dir, { recursive: true, force: true });
    }
  });

  it('SessionStore: per-user and global caps end the oldest sessions first', () => {
    const clock = new ManualClock();
    const store = new SessionStore(clock, { maxSessions: 4, maxSessionsPerUser: 2 });
    const a1 = store.create(1);
    const a2 = store.create(1);
    const a3 = store.create(1);
    expect(store.get(a1.id)).toBeUndefined();
    expect(store.get(a2.id)?.userId).toBe(1);
    expect(store.get(a3.id)?.userId).toBe(1);
    const b1 = store.create(2);
    store.create(2);
    expect(store.size()).toBe(4);
    store.create(3);
    expect(store.size()).toBe(4);
    expect(store.get(a2.id)).toBeUndefined(); // globally oldest
    expect(store.get(b1.id)?.userId).toBe(2);
  });

  it('registering the plugin twice (app.ts default plus routePlugins) keeps one working dashboard', async () => {
    const dir = tempDir('wl-dash-');
    try {
      const config = loadConfig({ DATABASE_FILE: join(dir, 'relay.db'), CLOUD_PORT: '0', SECRET_KEY: TEST_SECRET, LOG_LEVEL: 'silent' });
      const app = await buildApp({ config, logger: false, routePlugins: [dashboardRoutes, dashboardRoutes] });
      try {
        await signUp(app);
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in production the session and form cookies are Secure and pages send HSTS', async () => {
    const relay = await makeRelay({ API_ENV: 'production' });
    try {
      const client = new FormClient(relay.app);
      const csrf = await client.csrfFrom('/register');
      expect(client.last.cookies.find((c) => c.name === 'wl_form')?.secure).toBe(true);
      const res = await client.post('/register', { csrf, username: uniqueName(), password: PASSWORD, confirm: PASSWORD });
      expect(res.cookies.find((c) => c.name === 'wl_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await relay.app.close();
      rmSync(relay.dir, { recursive: true, force: true });
    }
  });
});
