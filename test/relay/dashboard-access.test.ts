/**
 * Issue 14 in the dashboard: login sessions (refresh-token families) are listed and revoked —
 * revoking closes the sockets their access tokens opened — and pairings are listed and removed.
 * Real relay on port 0, a cookie-keeping form client over real HTTP (fetch), real `ws` sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, uniqueName } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { createEndpoint } from './helpers/routing';
import { connectClient } from './helpers/ws';

const PASSWORD = 'correct horse battery';
let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(() => relay.close());

/** A browser without script: cookies, forms, no redirects followed. */
class Browser {
  private readonly jar = new Map<string, string>();

  async request(method: 'GET' | 'POST', path: string, fields?: Record<string, string>): Promise<{ status: number; body: string; location: string | null }> {
    const headers: Record<string, string> = { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (fields) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(relay.http + path, { method, headers, body: fields ? new URLSearchParams(fields).toString() : undefined, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (attributes.some((a) => /max-age=0/i.test(a.trim())) || value === '') this.jar.delete(name.trim());
      else this.jar.set(name.trim(), value);
    }
    return { status: res.status, body: await res.text(), location: res.headers.get('location') };
  }

  async csrf(path: string): Promise<string> {
    const page = await this.request('GET', path);
    const match = /name="csrf" value="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no csrf on ${path}: ${page.status}`);
    return match[1]!;
  }
}

async function signUp(): Promise<{ browser: Browser; username: string; token: string }> {
  const browser = new Browser();
  const username = uniqueName('dacc');
  const res = await browser.request('POST', '/register', { csrf: await browser.csrf('/register'), username, password: PASSWORD, confirm: PASSWORD });
  expect(res.status).toBe(303);
  const page = await browser.request('GET', '/dashboard');
  const token = /<code id="new-token" class="secret">([^<]+)<\/code>/.exec(page.body)?.[1];
  if (!token) throw new Error('no first token shown');
  return { browser, username, token };
}

const login = async (username: string, agent: string) =>
  (await api(relay.http, 'POST', '/auth/login', { body: { username, password: PASSWORD }, headers: { 'user-agent': agent } })).body;

describe('dashboard: login sessions and pairings (issue 14)', () => {
  it('lists the account\'s login sessions and revokes one: its tokens stop working and its sockets close; others\' and bad ids are refused', async () => {
    const alice = await signUp();
    const phone = await login(alice.username, 'phone-app/1.0');
    const laptop = await login(alice.username, 'laptop-cli/2.0');
    const { probe } = await connectClient(relay.ws, 'dash-session', phone.access_token);
    let page = await alice.browser.request('GET', '/dashboard');
    expect(page.body).toContain(`data-session-id="${phone.session_id}"`);
    expect(page.body).toContain('phone-app/1.0');
    expect(page.body).toContain(`data-session-id="${laptop.session_id}"`);
    expect(page.body).not.toContain(phone.refresh_token);
    expect(page.body).not.toContain(phone.access_token);

    const bob = await signUp();
    const bobCsrf = await bob.browser.csrf('/dashboard');
    expect((await bob.browser.request('POST', '/dashboard/sessions/revoke', { csrf: bobCsrf, session_id: phone.session_id })).status).toBe(404);
    expect((await bob.browser.request('POST', '/dashboard/sessions/revoke', { csrf: bobCsrf, session_id: 'nonsense' })).status).toBe(400);
    expect((await api(relay.http, 'GET', '/api/devices', { token: phone.access_token })).status).toBe(200);
    // Without the CSRF token nothing happens.
    expect((await alice.browser.request('POST', '/dashboard/sessions/revoke', { session_id: phone.session_id })).status).toBe(403);

    const revoked = await alice.browser.request('POST', '/dashboard/sessions/revoke', { csrf: await alice.browser.csrf('/dashboard'), session_id: phone.session_id });
    expect(revoked).toMatchObject({ status: 303, location: '/dashboard' });
    expect(await probe.closed).toEqual({ code: 1008, reason: 'session revoked' });
    expect((await api(relay.http, 'GET', '/api/devices', { token: phone.access_token })).status).toBe(401);
    expect((await api(relay.http, 'POST', '/auth/refresh', { body: { refresh_token: phone.refresh_token } })).status).toBe(401);
    expect((await api(relay.http, 'GET', '/api/devices', { token: laptop.access_token })).status).toBe(200);
    page = await alice.browser.request('GET', '/dashboard');
    expect(page.body).toContain('Session revoked.');
    expect(page.body).not.toContain(`data-session-id="${phone.session_id}"`);
    expect(page.body).toContain(`data-session-id="${laptop.session_id}"`);
  });

  it('lists pairings with endpoint names and removes one; another account cannot', async () => {
    const alice = await signUp();
    const host = (await createEndpoint(relay.http, alice.token, { kind: 'host', name: 'desktop' })).id;
    const app = (await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone' })).id;
    const { code } = (await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } })).body;
    const paired = (await api(relay.http, 'POST', '/api/pairings', { token: alice.token, body: { endpoint: app, code } })).body;
    let page = await alice.browser.request('GET', '/dashboard');
    expect(page.body).toContain(`data-pairing-id="${paired.pairing_id}"`);
    expect(page.body).toContain(`desktop (${host})`);
    expect(page.body).toContain(`phone (${app})`);

    const bob = await signUp();
    expect((await bob.browser.request('POST', '/dashboard/pairings/remove', { csrf: await bob.browser.csrf('/dashboard'), pairing_id: paired.pairing_id })).status).toBe(404);
    expect((await api(relay.http, 'GET', '/api/pairings', { token: alice.token })).body.pairings).toHaveLength(1);

    const removed = await alice.browser.request('POST', '/dashboard/pairings/remove', { csrf: await alice.browser.csrf('/dashboard'), pairing_id: paired.pairing_id });
    expect(removed.status).toBe(303);
    page = await alice.browser.request('GET', '/dashboard');
    expect(page.body).toContain('Pairing removed.');
    expect(page.body).not.toContain(`data-pairing-id="${paired.pairing_id}"`);
    expect((await api(relay.http, 'GET', '/api/pairings', { token: alice.token })).body.pairings).toEqual([]);
  });
});
