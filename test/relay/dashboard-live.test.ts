/**
 * The dashboard's live presence stream (issue 13) over real HTTP: /dashboard/live is a
 * server-sent-events view of the routing core for a signed-in dashboard session, bounded per account
 * (DASHBOARD_STREAMS_PER_ACCOUNT), ended by logout, refused without a session.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectDevice } from './helpers/ws';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ env: { DASHBOARD_STREAMS_PER_ACCOUNT: '2' } });
});
afterAll(async () => relay.close());

/** A browser without script: a cookie jar over fetch. */
class Browser {
  private readonly jar = new Map<string, string>();
  cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(relay.http + path, {
      method, redirect: 'manual',
      headers: { cookie: this.cookie(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (/max-age=0/i.test(line)) this.jar.delete(name!);
      else this.jar.set(name!, value!);
    }
    return res;
  }
  async csrf(path: string): Promise<string> {
    return /name="csrf" value="([^"]+)"/.exec(await (await this.request('GET', path)).text())![1]!;
  }
}

/** Reads a text/event-stream: its `data:` frames as they come, and when it ends. */
function stream(browser: Browser): Promise<{ status: number; frames: any[]; next(): Promise<any>; ended: Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${relay.http}/dashboard/live`, { headers: { cookie: browser.cookie() } }, (res) => {
      const frames: any[] = [];
      const waiting: (() => void)[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.startsWith('data: ')) frames.push(JSON.parse(event.slice(6)));
          waiting.splice(0).forEach((wake) => wake());
        }
      });
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      const next = async () => {
        const deadline = Date.now() + 3000;
        while (frames.length === 0) {
          if (Date.now() > deadline) throw new Error('no event within 3 s');
          await new Promise<void>((wake) => { waiting.push(wake); setTimeout(wake, 100); });
        }
        return frames.shift();
      };
      resolve({ status: res.statusCode ?? 0, frames, next, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('dashboard live presence stream (issue 13)', () => {
  it('streams the boards\' presence to a signed-in session, at most DASHBOARD_STREAMS_PER_ACCOUNT at once, and ends on logout', async () => {
    const anonymous = await stream(new Browser());
    expect(anonymous.status).toBe(401);
    anonymous.close();

    const browser = new Browser();
    const formCsrf = await browser.csrf('/register');
    const registered = await browser.request('POST', '/register', { csrf: formCsrf, username: `live${process.pid}`, password: 'correct horse battery', confirm: 'correct horse battery' });
    expect(registered.status).toBe(303);
    const page = await (await browser.request('GET', '/dashboard')).text();
    const token = /<code id="new-token" class="secret">([^<]+)<\/code>/.exec(page)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await browser.request('POST', '/dashboard/devices', { csrf, device_id: 'WL11FE', name: 'hall' })).status).toBe(303);

    const live = await stream(browser);
    expect(live.status).toBe(200);
    expect(await live.next()).toMatchObject({ type: 'subscribed', scopes: ['boards'], endpoints: [{ device_id: 'WL11FE', name: 'hall', online: false }] });
    const { probe } = await connectDevice(relay.ws, 'WL11FE', token);
    expect(await live.next()).toMatchObject({ type: 'presence', device_id: 'WL11FE', online: true });
    probe.close();
    expect(await live.next()).toMatchObject({ type: 'presence', device_id: 'WL11FE', online: false });

    const second = await stream(browser);
    expect(second.status).toBe(200);
    const third = await stream(browser);
    expect(third.status).toBe(429);
    third.close();

    expect((await browser.request('POST', '/logout', { csrf })).status).toBe(303);
    await Promise.all([live.ended, second.ended]);
    const afterLogout = await stream(browser);
    expect(afterLogout.status).toBe(401);
    afterLogout.close();
  });
});
