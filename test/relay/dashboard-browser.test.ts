import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../../server/routes/dashboard';
import { packagedChromium } from './helpers/chromium';
import { registerDevice } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe, connectDevice } from './helpers/ws';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PASSWORD = 'correct horse battery';

/**
 * The dashboard in a real headless Chromium against a real relay on 127.0.0.1 (SQLite temp file,
 * real device WebSocket), with the Chromium of a dev dependency (helpers/chromium.ts). A browser
 * that cannot start is a failure, not a skip: this is the only test that shows the pages work in
 * a browser under their own CSP.
 */
describe('dashboard in headless Chromium', () => {
  let browser: Browser;
  let relay: RunningRelay;
  const cspViolations: string[] = [];
  const offLoopback: string[] = [];

  beforeAll(async () => {
    relay = await startRelay({ routePlugins: [dashboardRoutes] });
    browser = await chromium.launch({ executablePath: await packagedChromium(), args: CHROMIUM_ARGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  /** A fresh browser profile whose traffic may only reach the relay on 127.0.0.1 (network safety). */
  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    // Fail fast with Playwright's own message (what it waited for) instead of the test timeout.
    context.setDefaultTimeout(8000);
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      offLoopback.push(url.href);
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return { context, page };
  }

  async function registerInBrowser(page: Page, username: string): Promise<void> {
    await page.goto(`${relay.http}/`);
    await page.getByRole('link', { name: 'create an account' }).click();
    await page.waitForURL('**/register');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/dashboard');
  }

  it('register → dashboard → create token → a device connected with it shows as online after reload', async () => {
    const { context, page } = await newPage();
    const username = `browser${process.pid}`;
    await registerInBrowser(page, username);
    await expect(page.getByRole('heading', { name: 'Dashboard' }).textContent()).resolves.toBe('Dashboard');
    expect(await page.locator('header').textContent()).toContain(username);
    const firstToken = (await page.locator('#new-token').textContent())?.trim();
    expect(firstToken).toMatch(/^sk-/);

    // The page is styled by the same-origin stylesheet that the CSP allows (no inline styles).
    // (The project compiles without DOM typings; these run inside the page.)
    expect(await page.locator('main').evaluate('(el) => getComputedStyle(el).maxWidth')).not.toBe('none');

    await page.getByLabel('New token name').fill('browser test');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.waitForURL('**/dashboard');
    const token = (await page.locator('#new-token').textContent())?.trim() ?? '';
    expect(token).toMatch(/^sk-[A-Za-z0-9_-]{43,}$/);
    expect(token).not.toBe(firstToken);
    expect(await page.locator('#tokens tbody tr').count()).toBe(2);

    const deviceId = `WLB${process.pid}`;
    await registerDevice(relay.http, token, deviceId);
    await page.reload();
    const row = page.locator(`tr[data-device="${deviceId}"]`);
    expect(await row.textContent()).toContain('Offline');
    expect(await row.textContent()).toContain('never');
    // Shown once: the reload no longer contains either token.
    expect(await page.locator('#new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);

    const { probe, welcome } = await connectDevice(relay.ws, deviceId, token);
    expect(welcome).toMatchObject({ type: 'welcome', device_id: deviceId });
    await page.reload();
    expect(await row.locator('.online').textContent()).toBe('Online now');
    expect(await row.textContent()).not.toContain('never'); // last seen was written on connect

    // Cookies: the session is HttpOnly (invisible to page script) and holds no token.
    const cookies = await context.cookies(relay.http);
    const session = cookies.find((c) => c.name === 'wl_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // (Not a search for "sk-": a random base64url cookie value holds that by chance about once in 3,000.)
    const secretPart = token.slice(token.indexOf('-') + 1);
    expect(cookies.some((c) => decodeURIComponent(c.value).includes(token) || decodeURIComponent(c.value).includes(secretPart))).toBe(false);
    expect(await page.evaluate('document.cookie')).toBe('');

    // Revoking the token in the browser closes the device socket that was opened with it.
    const tokenRow = page.locator('#tokens tbody tr', { hasText: 'browser test' });
    await tokenRow.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL('**/dashboard');
    expect(await page.getByRole('status').textContent()).toContain('Token revoked');
    const closed = await closedWithin(probe, 3000);
    expect(closed.code).toBe(1008);
    await page.reload();
    expect(await row.textContent()).toContain('Offline');
    expect(await page.locator('#tokens tbody tr').count()).toBe(1);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL('**/dashboard');
    expect(await page.getByRole('status').textContent()).toContain(`Device ${deviceId} deleted.`);
    expect(await page.locator(`tr[data-device="${deviceId}"]`).count()).toBe(0);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${relay.http}/`);
    await page.goto(`${relay.http}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();

    expect(cspViolations).toEqual([]);
    expect(offLoopback).toEqual([]);
  });

  it('adds and names a device, and shows its presence live (no reload) through its own script under a strict CSP (issue 13)', async () => {
    const { context, page } = await newPage();
    await registerInBrowser(page, `live${process.pid}`);
    const token = (await page.locator('#new-token').textContent())?.trim() ?? '';
    const deviceId = `WLD${(process.pid & 0xffff).toString(16).toUpperCase()}`;
    await page.getByLabel('Device id').fill(deviceId);
    await page.getByLabel('Name', { exact: true }).fill('Study');
    await page.getByRole('button', { name: 'Add device' }).click();
    await page.waitForURL('**/dashboard');
    expect(await page.getByRole('status').textContent()).toContain(`Device ${deviceId} added.`);
    const row = page.locator(`tr[data-device="${deviceId}"]`);
    await row.getByLabel(`Name of ${deviceId}`).fill('Desk');
    await row.getByRole('button', { name: 'Rename' }).click();
    await page.waitForURL('**/dashboard');
    expect(await row.getByLabel(`Name of ${deviceId}`).inputValue()).toBe('Desk');
    expect(await row.locator('[data-status]').textContent()).toBe('Offline');
    // The stream is open: the page's script says so.
    await page.locator('#live', { hasText: 'live' }).waitFor();

    // The board connects and disconnects: the row follows without a reload.
    const { probe } = await connectDevice(relay.ws, deviceId, token);
    await row.locator('[data-status] .online', { hasText: 'Online now' }).waitFor({ timeout: 5000 });
    expect(await row.locator('[data-last-seen]').textContent()).not.toBe('never');
    probe.close();
    await row.locator('[data-status] .offline', { hasText: 'Offline' }).waitFor({ timeout: 5000 });

    // The CSP: this origin's script only, no inline code; the one script on the page is ours.
    const response = await page.reload();
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(await page.evaluate('[...document.scripts].map((s) => new URL(s.src).pathname + ":" + s.text.length)')).toEqual(['/dashboard.js:0']);
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.evaluate(`(() => { const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.head.append(s); })()`);
    expect(await page.evaluate('window.injected === undefined')).toBe(true);
    expect(blocked.length).toBeGreaterThan(0);
    // Only the probe above was refused: the page itself never trips its CSP.
    expect(cspViolations.filter((text) => !blocked.includes(text))).toEqual([]);
    cspViolations.length = 0;
    await context.close();
    expect(offLoopback).toEqual([]);
  });

  it('claims a board with its code, shows its own credential, and Revoke disconnects it (issue 14)', async () => {
    const { context, page } = await newPage();
    await registerInBrowser(page, `claimer${process.pid}`);
    const board = new WsProbe(`${relay.ws}/ws/claim/WL3B0A01`);
    const { code } = await board.next();
    await page.getByLabel('Claim code').fill(`${code.slice(0, 3)} ${code.slice(3)}`);
    await page.getByLabel('Board name').fill('garage');
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.waitForURL('**/dashboard');
    expect(await page.getByRole('status').textContent()).toBe('Board WL3B0A01 claimed. It now connects with its own credential.');
    const { credential } = await board.next();
    const row = page.locator('tr[data-device="WL3B0A01"]');
    expect(await row.locator('[data-credential]').getAttribute('data-credential')).toBe('own');
    expect(await page.content()).not.toContain(credential);
    const device = new WsProbe(`${relay.ws}/ws/WL3B0A01`, { headers: { authorization: `Bearer ${credential}` } });
    expect((await device.next()).type).toBe('welcome');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.waitForURL('**/dashboard');
    expect(await device.next()).toMatchObject({ error: 'CREDENTIAL_REVOKED' });
    expect((await device.closed).code).toBe(1008);
    expect(await page.locator('tr[data-device="WL3B0A01"] [data-credential]').textContent()).toBe('uses an account token: re-claim to restrict');
    await context.close();
    expect(cspViolations).toEqual([]);
    expect(offLoopback).toEqual([]);
  });

  it('S11: a forged v1.0-style cookie in the browser lands on the login page; a wrong password shows the generic message', async () => {
    const { context, page } = await newPage();
    await context.addCookies([
      { name: 'wl_session', value: '1', url: relay.http },
      { name: 'user_id', value: '1', url: relay.http },
    ]);
    await page.goto(`${relay.http}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Username').fill('nobody-here');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Invalid username or password.');
    await context.close();
    expect(cspViolations).toEqual([]);
  });
});

async function closedWithin(probe: WsProbe, ms: number): Promise<{ code: number; reason: string }> {
  return Promise.race([
    probe.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`device socket still open after ${ms} ms`)), ms)),
  ]);
}
