/**
 * Dashboard sessions across instances (issue 15): behind a round-robin balancer each page may be
 * served by another instance. Signed in on A, the dashboard opens on B; a token created on B is
 * shown once on C (its one-time message travels sealed); signing out on C ends the session on A.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../relay/helpers/http';
import { RedisServer, startInstance, stopInstance, tempDir, until, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

let redis: RedisServer;
let store: ClusterStore;
let instances: RelayInstance[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  store = await clusterStoreEnv(tempDir('wl-cluster-dash-'));
  const env = { REDIS_URL: redis.url, ...store.env };
  instances.push(await startInstance('a', env));
  instances.push(...(await Promise.all([startInstance('b', env), startInstance('c', env)])));
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((instance) => stopInstance(instance)));
  await redis?.destroy();
  await store?.destroy();
});

/** A browser without script: one cookie jar, any instance per request. */
class Browser {
  jar = new Map<string, string>();

  async request(base: string, method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<{ status: number; body: string; location: string | null }> {
    const headers: Record<string, string> = { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '), origin: base };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(base + path, { method, headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      if (/Max-Age=0/i.test(cookie) || value.join('=') === '') this.jar.delete(name!.trim());
      else this.jar.set(name!.trim(), value.join('='));
    }
    return { status: res.status, body: await res.text(), location: res.headers.get('location') };
  }

  async csrf(base: string, path: string): Promise<string> {
    const page = await this.request(base, 'GET', path);
    const match = /name="csrf" value="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no csrf field on ${path} (${page.status})`);
    return match[1]!;
  }
}

describe('cluster: dashboard sessions are shared', () => {
  it('sign in on A, the dashboard on B, a new token shown once on C, sign out on C ends it on A', async () => {
    const [a, b, c] = instances as [RelayInstance, RelayInstance, RelayInstance];
    const user = await registerUser(a.http);
    const browser = new Browser();
    const login = await browser.request(a.http, 'POST', '/login', { csrf: await browser.csrf(a.http, '/login'), username: user.username, password: user.password });
    expect(login.status).toBe(303);
    const page = await until('the session to reach B', async () => {
      const res = await browser.request(b.http, 'GET', '/dashboard');
      return res.status === 200 ? res : null;
    }, 2000);
    expect(page.body).toContain(user.username);
    const created = await browser.request(b.http, 'POST', '/dashboard/tokens', { csrf: await browser.csrf(b.http, '/dashboard'), name: 'from-b' });
    expect(created.status).toBe(303);
    await new Promise((r) => setTimeout(r, 100));
    const shown = await browser.request(c.http, 'GET', '/dashboard');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatch(/<code id="new-token" class="secret">sk-[^<]+<\/code>/);
    await new Promise((r) => setTimeout(r, 100));
    // Shown once, cluster-wide.
    expect((await browser.request(a.http, 'GET', '/dashboard')).body).not.toContain('id="new-token"');
    // The old cookie, replayed after signing out, opens nothing on another instance.
    const before = new Map(browser.jar);
    expect((await browser.request(a.http, 'GET', '/dashboard')).status).toBe(200);
    const out = await browser.request(c.http, 'POST', '/logout', { csrf: await browser.csrf(c.http, '/dashboard') });
    expect(out.status).toBe(303);
    await new Promise((r) => setTimeout(r, 100));
    browser.jar = before;
    const after = await browser.request(a.http, 'GET', '/dashboard');
    expect(after.status).not.toBe(200);
  });
});
