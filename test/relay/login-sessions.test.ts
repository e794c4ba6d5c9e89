/**
 * Issue 14, tokens: a password login is a login session (refresh-token family). Real relay on
 * port 0, real SQLite file, real `ws` sockets; the relay's clock is a ManualClock so expiry needs
 * no waiting (the one expiry sweep still runs on real time, every TOKEN_EXPIRY_SWEEP_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { api, registerUser, type TestUser } from './helpers/http';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe, connectClient } from './helpers/ws';

let relay: RunningRelay;
let user: TestUser;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  relay = await startRelay({ clock, env: { TOKEN_EXPIRY_SWEEP_MS: '100' } });
  user = await registerUser(relay.http);
});
afterAll(() => relay.close());

const login = async (who: TestUser = user, agent = 'test-suite/1.0') => {
  const res = await api(relay.http, 'POST', '/auth/login', { body: { username: who.username, password: who.password }, headers: { 'user-agent': agent } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { access_token: string; refresh_token: string; session_id: string; expires_in: number; refresh_expires_in: number };
};
const refresh = (token: string) => api(relay.http, 'POST', '/auth/refresh', { body: { refresh_token: token } });
const devices = (token: string) => api(relay.http, 'GET', '/api/devices', { token });
const openClient = async (token: string, id: string) => {
  const { probe, welcome } = await connectClient(relay.ws, id, token);
  expect(welcome).toMatchObject({ type: 'welcome', status: 'connected' });
  return probe;
};

describe('refresh rotation', () => {
  it('refresh hands out a new pair; the new access token works; the old refresh token is single use', async () => {
    const first = await login();
    const next = await refresh(first.refresh_token);
    expect(next.status).toBe(200);
    expect(next.body.session_id).toBe(first.session_id);
    expect(next.body.refresh_token).not.toBe(first.refresh_token);
    expect(next.body.access_token).not.toBe(first.access_token);
    expect((await devices(next.body.access_token)).status).toBe(200);
    // Rotate again with the newest token: still the same session.
    const third = await refresh(next.body.refresh_token);
    expect(third.status).toBe(200);
    expect(third.body.session_id).toBe(first.session_id);
  });

  it('refresh tokens are stored hashed: the database file holds none of them', async () => {
    const pair = await login();
    const db = new Database(relay.dbFile, { readonly: true });
    try {
      const rows = db.prepare('SELECT token_hash FROM refresh_tokens').all() as { token_hash: string }[];
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(db.prepare('SELECT * FROM refresh_tokens').all())).not.toContain(pair.refresh_token.slice(3));
    } finally {
      db.close();
    }
  });

  it('garbage, unknown and malformed refresh tokens are 401 REFRESH_TOKEN_INVALID (422 for a wrong shape of body)', async () => {
    expect((await refresh(`rt_${'A'.repeat(43)}`)).body).toEqual({ error: 'REFRESH_TOKEN_INVALID', detail: 'Refresh token invalid or expired; log in again' });
    expect((await refresh('not-a-token')).status).toBe(401);
    expect((await api(relay.http, 'POST', '/auth/refresh', { body: {} })).status).toBe(422);
  });

  it('a refresh token unused for REFRESH_TOKEN_TTL_SECONDS is dead', async () => {
    const pair = await login();
    clock.advance(30 * 86_400_000 + 1000);
    expect((await refresh(pair.refresh_token)).body.error).toBe('REFRESH_TOKEN_INVALID');
  });
});

describe('reuse detection', () => {
  it('presenting a used refresh token revokes the whole family: its access tokens, its sockets, and the audit log says so', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token)).body;
    // Sockets opened with the first and the second access token of the family, and one of another session.
    const a = await openClient(first.access_token, 'reuse-a');
    const b = await openClient(second.access_token, 'reuse-b');
    const other = await login();
    const c = await openClient(other.access_token, 'reuse-c');

    const reused = await refresh(first.refresh_token);
    expect(reused.status).toBe(401);
    expect(reused.body.error).toBe('REFRESH_TOKEN_REUSED');
    expect((await a.closed).code).toBe(1008);
    expect((await b.closed)).toEqual({ code: 1008, reason: 'session revoked' });
    // Every token of the family is dead now, the newest refresh token included.
    expect((await devices(first.access_token)).status).toBe(401);
    expect((await devices(second.access_token)).status).toBe(401);
    expect((await refresh(second.refresh_token)).body.error).toBe('REFRESH_TOKEN_INVALID');
    // Another session of the same user is untouched.
    expect((await devices(other.access_token)).status).toBe(200);
    expect(c.socket.readyState).toBe(c.socket.OPEN);
    c.close();

    const history = await api(relay.http, 'GET', '/api/history?limit=20', { token: user.token });
    const entry = history.body.entries.find((e: { kind: string; status: string }) => e.kind === 'session' && e.status === 'reuse_detected');
    expect(entry, JSON.stringify(history.body)).toBeDefined();
    expect(JSON.stringify(entry)).toContain(first.session_id);
    expect(JSON.stringify(history.body)).not.toContain(first.refresh_token);
  });
});

describe('reuse detection under a race', () => {
  it('two refreshes with the same token at once: one wins, the other is reuse, and the family is revoked (the winner too)', async () => {
    const pair = await login();
    const results = await Promise.all([refresh(pair.refresh_token), refresh(pair.refresh_token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(results.find((r) => r.status === 401)!.body.error).toBe('REFRESH_TOKEN_REUSED');
    const winner = results.find((r) => r.status === 200)!.body;
    expect((await devices(winner.access_token)).status).toBe(401);
    expect((await refresh(winner.refresh_token)).body.error).toBe('REFRESH_TOKEN_INVALID');
  });
});

describe('logout and revocation', () => {
  it('logout revokes the family: access token refused, sockets closed, refresh refused; logging out twice is 401', async () => {
    const pair = await login();
    const probe = await openClient(pair.access_token, 'logout-1');
    const out = await api(relay.http, 'POST', '/auth/logout', { body: { refresh_token: pair.refresh_token } });
    expect(out.body).toEqual({ status: 'logged_out' });
    expect((await probe.closed)).toEqual({ code: 1008, reason: 'session revoked' });
    expect((await devices(pair.access_token)).status).toBe(401);
    expect((await refresh(pair.refresh_token)).body.error).toBe('REFRESH_TOKEN_INVALID');
    expect((await api(relay.http, 'POST', '/auth/logout', { body: { refresh_token: pair.refresh_token } })).status).toBe(401);
  });

  it('GET /auth/sessions lists live sessions (marking the caller\'s), never a token; DELETE revokes one; another account\'s is 404', async () => {
    const mine = await login(user, 'laptop-cli/2.0');
    const list = await api(relay.http, 'GET', '/auth/sessions', { token: mine.access_token });
    expect(list.status).toBe(200);
    const entry = list.body.sessions.find((s: { id: string }) => s.id === mine.session_id);
    expect(entry).toMatchObject({ name: 'laptop-cli/2.0', address: '127.0.0.1', current: true });
    expect(JSON.stringify(list.body)).not.toContain(mine.refresh_token);
    expect(JSON.stringify(list.body)).not.toContain(mine.access_token);

    const bob = await registerUser(relay.http);
    expect((await api(relay.http, 'DELETE', `/auth/sessions/${mine.session_id}`, { token: bob.token })).status).toBe(404);
    expect((await devices(mine.access_token)).status).toBe(200);

    const probe = await openClient(mine.access_token, 'revoked-1');
    const revoked = await api(relay.http, 'DELETE', `/auth/sessions/${mine.session_id}`, { token: user.token });
    expect(revoked.body).toEqual({ status: 'revoked', id: mine.session_id });
    expect((await probe.closed).reason).toBe('session revoked');
    expect((await devices(mine.access_token)).status).toBe(401);
    const after = await api(relay.http, 'GET', '/auth/sessions', { token: user.token });
    expect(after.body.sessions.map((s: { id: string }) => s.id)).not.toContain(mine.session_id);
    expect((await api(relay.http, 'DELETE', `/auth/sessions/${mine.session_id}`, { token: user.token })).status).toBe(404);
  });

  it('SESSIONS_PER_ACCOUNT: a login beyond it ends the oldest session', async () => {
    const small = await startRelay({ env: { SESSIONS_PER_ACCOUNT: '2' } });
    try {
      const who = await registerUser(small.http);
      const logins = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await api(small.http, 'POST', '/auth/login', { body: { username: who.username, password: who.password } });
        logins.push(res.body);
      }
      const listed = await api(small.http, 'GET', '/auth/sessions', { token: who.token });
      expect(listed.body.sessions.map((s: { id: string }) => s.id).sort()).toEqual([logins[1].session_id, logins[2].session_id].sort());
      expect((await api(small.http, 'GET', '/api/devices', { token: logins[0].access_token })).status).toBe(401);
      expect((await api(small.http, 'GET', '/api/devices', { token: logins[2].access_token })).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('expiry (B17)', () => {
  it('B17: a socket opened with an access JWT is closed 1008 once it expires (one sweep, not a timer per socket); an sk- token socket stays', async () => {
    const pair = await login();
    const jwtSocket = await openClient(pair.access_token, 'expiry-jwt');
    const apiSocket = await openClient(user.token, 'expiry-sk');
    expect(await jwtSocket.nothingFor(300)).toBe(true);
    expect(jwtSocket.socket.readyState).toBe(jwtSocket.socket.OPEN);
    clock.advance(pair.expires_in * 1000 + 1);
    expect((await jwtSocket.closed)).toEqual({ code: 1008, reason: 'token expired' });
    expect(await apiSocket.nothingFor(300)).toBe(true);
    expect(apiSocket.socket.readyState).toBe(apiSocket.socket.OPEN);
    apiSocket.close();
    // The expired access token is refused; its refresh token still gets a fresh one.
    clock.advance(31_000);
    expect((await devices(pair.access_token)).body.error).toBe('TOKEN_EXPIRED');
    const next = await refresh(pair.refresh_token);
    expect(next.status).toBe(200);
    expect((await devices(next.body.access_token)).status).toBe(200);
  });

  it('a session ends SESSION_MAX_AGE_SECONDS after its login however often it is refreshed', async () => {
    let pair = await login();
    for (let day = 10; day <= 80; day += 10) {
      clock.advance(10 * 86_400_000);
      const res = await refresh(pair.refresh_token);
      expect(res.status, `day ${day}`).toBe(200);
      pair = res.body;
    }
    // Ten days left: the refresh token lives no longer than its session.
    expect(pair.refresh_expires_in).toBe(10 * 86_400);
    clock.advance(10 * 86_400_000);
    expect((await refresh(pair.refresh_token)).body.error).toBe('REFRESH_TOKEN_INVALID');
  });
});

describe('sk- API tokens are unchanged', () => {
  it('an sk- token works on HTTP and both sockets, never expires, and is not touched by logging out every session', async () => {
    const pair = await login();
    await api(relay.http, 'POST', '/auth/logout', { body: { refresh_token: pair.refresh_token } });
    clock.advance(365 * 86_400_000);
    expect((await devices(user.token)).status).toBe(200);
    const probe = new WsProbe(`${relay.ws}/ws/client/sk-still`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(await probe.next()).toMatchObject({ type: 'welcome', client_id: 'sk-still' });
    probe.close();
  });
});
