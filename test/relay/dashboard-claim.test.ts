/**
 * The dashboard's claim form and credential buttons (issue 14) over real HTTP, with the board's
 * claim and device sockets as real WebSockets: claim with a code, the credential state per device
 * (own credential vs "uses an account token: re-claim to restrict"), Rotate and Revoke closing the
 * board's socket, every form behind the session's CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe, connectDevice } from './helpers/ws';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => relay.close());

/** A browser without script: a cookie jar over fetch. */
class Browser {
  private readonly jar = new Map<string, string>();
  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(relay.http + path, {
      method, redirect: 'manual',
      headers: { cookie: [...this.jar].map(([n, v]) => `${n}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0]!.split('=');
      if (/max-age=0/i.test(line)) this.jar.delete(name!);
      else this.jar.set(name!, value!);
    }
    return res;
  }
  async page(path = '/dashboard'): Promise<string> {
    return (await this.request('GET', path)).text();
  }
  async csrf(path = '/dashboard'): Promise<string> {
    return /name="csrf" value="([^"]+)"/.exec(await this.page(path))![1]!;
  }
  /** Posts a dashboard form; returns the flash notice the redirect leads to, or the error page. */
  async submit(path: string, form: Record<string, string>): Promise<{ status: number; text: string }> {
    const res = await this.request('POST', path, { csrf: await this.csrf(), ...form });
    if (res.status !== 303) return { status: res.status, text: await res.text() };
    return { status: 303, text: /<p class="notice" role="status">([^<]*)<\/p>/.exec(await this.page())?.[1] ?? '' };
  }
}

async function signedIn(): Promise<{ browser: Browser; apiToken: string }> {
  const browser = new Browser();
  const csrf = await browser.csrf('/register');
  const res = await browser.request('POST', '/register', { csrf, username: `claimdash${process.pid}`, password: 'correct horse battery', confirm: 'correct horse battery' });
  expect(res.status).toBe(303);
  const apiToken = /<code id="new-token" class="secret">([^<]+)<\/code>/.exec(await browser.page())![1]!;
  return { browser, apiToken };
}

const rowOf = (page: string, deviceId: string) => new RegExp(`<tr data-device="${deviceId}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';

describe('dashboard: claim a board, see and manage its credential (issue 14)', () => {
  it('claims with the code, marks a v1.0 board, rotates and revokes with the socket closed; forms need the CSRF token', async () => {
    const { browser, apiToken } = await signedIn();
    expect(await browser.page()).toContain('<form method="post" action="/dashboard/claim" class="row" id="claim">');

    const claim = new WsProbe(`${relay.ws}/ws/claim/WL3DA001`);
    const { code } = await claim.next();
    // Without the CSRF token nothing happens; a wrong code is the one error.
    const forged = await browser.request('POST', '/dashboard/claim', { code });
    expect(forged.status).toBe(403);
    const wrong = await browser.submit('/dashboard/claim', { code: code === '000000' ? '000001' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('Invalid or expired claim code');
    const claimed = await browser.submit('/dashboard/claim', { code, name: 'porch' });
    expect(claimed).toEqual({ status: 303, text: 'Board WL3DA001 claimed. It now connects with its own credential.' });
    const { credential } = await claim.next();
    expect((await claim.closed).code).toBe(1000);

    // A v1.0 board beside it, on the account token.
    expect((await api(relay.http, 'POST', '/api/register_device', { token: apiToken, body: { device_id: 'WL3DA002', device_data: { name: 'old' } } })).status).toBe(200);
    const page = await browser.page();
    expect(page).not.toContain(credential);
    expect(rowOf(page, 'WL3DA001')).toMatch(/data-credential="own">own credential <code>dc_[A-Za-z0-9_-]{8}…<\/code>/);
    expect(rowOf(page, 'WL3DA001')).toContain('action="/dashboard/credentials/rotate"');
    expect(rowOf(page, 'WL3DA002')).toContain('uses an account token: re-claim to restrict');
    expect(rowOf(page, 'WL3DA002')).not.toContain('/dashboard/credentials/');

    // Rotate: the board's socket is told and closed; the notice says to claim its new code.
    const board = new WsProbe(`${relay.ws}/ws/WL3DA001`, { headers: { authorization: `Bearer ${credential}` } });
    expect((await board.next()).type).toBe('welcome');
    const rotated = await browser.submit('/dashboard/credentials/rotate', { device_id: 'WL3DA001' });
    expect(rotated.text).toContain('It now shows a new claim code: enter it under “Claim a board”');
    expect(await board.next()).toMatchObject({ error: 'CREDENTIAL_REVOKED' });
    expect((await board.closed).code).toBe(1008);
    expect(rowOf(await browser.page(), 'WL3DA001')).toContain('uses an account token: re-claim to restrict');
    const again = new WsProbe(`${relay.ws}/ws/claim/WL3DA001`);
    const reclaimed = await browser.submit('/dashboard/claim', { code: (await again.next()).code });
    expect(reclaimed.text).toBe('Board WL3DA001 re-claimed. It now connects with its own credential.');
    const fresh = (await again.next()).credential;
    expect(fresh).not.toBe(credential);

    // Revoke: the same, and a second revoke finds nothing.
    const live = new WsProbe(`${relay.ws}/ws/WL3DA001`, { headers: { authorization: `Bearer ${fresh}` } });
    expect((await live.next()).type).toBe('welcome');
    expect((await browser.submit('/dashboard/credentials/revoke', { device_id: 'WL3DA001' })).text).toContain('stays offline until you claim it again');
    expect((await live.closed).code).toBe(1008);
    const twice = await browser.submit('/dashboard/credentials/revoke', { device_id: 'WL3DA001' });
    expect(twice.status).toBe(404);
    expect(twice.text).toContain('This device has no credential');
    // The v1.0 board still connects with the account token.
    const { welcome, probe } = await connectDevice(relay.ws, 'WL3DA002', apiToken);
    expect(welcome.type).toBe('welcome');
    probe.close();
  });
});
