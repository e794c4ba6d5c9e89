import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys } from '../../server/auth/keys';
import { api, registerUser, uniqueName, type TestUser } from './helpers/http';
import { TEST_SECRET, startRelay, type RunningRelay } from './helpers/relay';

let relay: RunningRelay;
let alice: TestUser;
const jwtKey = deriveKeys(new TextEncoder().encode(TEST_SECRET)).jwt;

beforeAll(async () => {
  relay = await startRelay();
  alice = await registerUser(relay.http);
});
afterAll(async () => relay.close());

const devices = (token: string) => api(relay.http, 'GET', '/api/devices', { token });

describe('accounts', () => {
  it('register → 201 {id, username, api_token} with an sk- token of 32+ random bytes', async () => {
    const name = uniqueName('reg');
    const res = await api(relay.http, 'POST', '/auth/register', { body: { username: name, password: 'long enough pw' } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['api_token', 'id', 'username']);
    expect(res.body.username).toBe(name);
    expect(res.body.api_token).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect((await devices(res.body.api_token)).status).toBe(200);
  });

  it('duplicate username → 409; bad shapes → 422 VALIDATION with the pydantic v1 items', async () => {
    const dup = await api(relay.http, 'POST', '/auth/register', { body: { username: alice.username, password: 'another password' } });
    expect(dup.status).toBe(409);
    const missing = await api(relay.http, 'POST', '/auth/register', { body: { username: 'someone' } });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({
      error: 'VALIDATION', detail: 'body.password: field required',
      errors: [{ loc: ['body', 'password'], msg: 'field required', type: 'value_error.missing' }],
    });
    const sqlish = await api(relay.http, 'POST', '/auth/register', { body: { username: "' OR 1=1 --", password: 'long enough pw' } });
    expect(sqlish.status).toBe(422);
  });

  it('login → {access_token, token_type: "bearer", expires_in (15 min), refresh_token, refresh_expires_in, session_id} and the JWT works as an API token', async () => {
    const res = await api(relay.http, 'POST', '/auth/login', { body: { username: alice.username, password: alice.password } });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('bearer');
    expect(res.body.expires_in).toBe(15 * 60);
    expect(res.body.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(res.body.refresh_expires_in).toBe(30 * 86_400);
    expect(res.body.session_id).toMatch(/^ls_[0-9a-f]{24}$/);
    const header = JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('HS256');
    const viaJwt = await devices(res.body.access_token);
    expect(viaJwt.status).toBe(200);
    expect(viaJwt.body.user).toBe(alice.username);
    const viaHeader = await api(relay.http, 'GET', '/api/devices', { headers: { 'X-API-Token': res.body.access_token } });
    expect(viaHeader.status).toBe(200);
  });

  it('B22: unknown user and wrong password get the identical 401 body', async () => {
    const wrong = await api(relay.http, 'POST', '/auth/login', { body: { username: alice.username, password: 'wrong password' } });
    const unknown = await api(relay.http, 'POST', '/auth/login', { body: { username: uniqueName('ghost'), password: 'wrong password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('B22/L6: 6th wrong password for an account → 429 + Retry-After; another account is unaffected', async () => {
    const victim = await registerUser(relay.http);
    const other = await registerUser(relay.http);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i += 1) {
      const res = await api(relay.http, 'POST', '/auth/login', { body: { username: victim.username, password: `nope-${i}-xx` } });
      statuses.push(res.status);
      retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Even the right password waits out the backoff: no oracle while throttled.
    const right = await api(relay.http, 'POST', '/auth/login', { body: { username: victim.username, password: victim.password } });
    expect(right.status).toBe(429);
    const unaffected = await api(relay.http, 'POST', '/auth/login', { body: { username: other.username, password: other.password } });
    expect(unaffected.status).toBe(200);
  });
});

describe('REST auth (spec 4.6 texts)', () => {
  it('missing token → 401 "API token required"; unknown → 401 "Invalid API token"', async () => {
    const none = await api(relay.http, 'GET', '/api/devices');
    expect(none.status).toBe(401);
    expect(none.body.detail).toBe('API token required');
    const bad = await devices('sk-' + 'B'.repeat(43));
    expect(bad.status).toBe(401);
    expect(bad.body.detail).toBe('Invalid API token');
    // v1.0: the word "Bearer " is case-sensitive on REST.
    const lower = await api(relay.http, 'GET', '/api/devices', { headers: { authorization: `bearer ${alice.token}` } });
    expect(lower.body.detail).toBe('API token required');
  });

  const forged: [string, () => Promise<string>][] = [
    ['B18 signed with another key', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(1)).setIssuedAt().setExpirationTime('1h')
      .setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(new Uint8Array(32).fill(7))],
    ['B17 expired and forged', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(alice.id)).setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600).setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(new Uint8Array(32).fill(7))],
    ['B19 alg:none', async () => new UnsecuredJWT({ sub: String(alice.id), iss: 'wakelink-xs-relay', aud: 'wakelink-xs-api' }).setIssuedAt().setExpirationTime('1h').encode()],
    ['B19 HS512 with the right key', () => new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject(String(alice.id)).setIssuedAt().setExpirationTime('1h')
      .setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(new Uint8Array(64).fill(1))],
    ['B20 missing exp', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(alice.id)).setIssuedAt()
      .setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(jwtKey)],
    ['B20 wrong audience', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(alice.id)).setIssuedAt().setExpirationTime('1h')
      .setIssuer('wakelink-xs-relay').setAudience('someone-else').sign(jwtKey)],
  ];
  for (const [name, make] of forged) {
    it(`${name} JWT is refused with 401`, async () => {
      const token = await make();
      const res = await devices(token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'INVALID_TOKEN', detail: 'Invalid API token' });
    });
  }

  it('B17: a JWT this relay signed whose time is up says so: 401 TOKEN_EXPIRED', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(alice.id)).setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600).setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(jwtKey);
    const res = await devices(token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'TOKEN_EXPIRED', detail: 'Token expired' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('a correctly signed JWT made the same way is accepted (the forgery tests can fail)', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(alice.id)).setIssuedAt().setExpirationTime('1h')
      .setIssuer('wakelink-xs-relay').setAudience('wakelink-xs-api').sign(jwtKey);
    expect((await devices(token)).status).toBe(200);
  });

  it('payload edited after signing is refused', async () => {
    const login = await api(relay.http, 'POST', '/auth/login', { body: { username: alice.username, password: alice.password } });
    const [h, , s] = login.body.access_token.split('.');
    const edited = Buffer.from(JSON.stringify({ sub: '999', exp: 9999999999, iat: 1, iss: 'wakelink-xs-relay', aud: 'wakelink-xs-api' })).toString('base64url');
    expect((await devices(`${h}.${edited}.${s}`)).status).toBe(401);
  });
});

describe('API tokens', () => {
  it('create (shown once), list (prefix only, never the token), use, revoke', async () => {
    const created = await api(relay.http, 'POST', '/api/tokens', { token: alice.token, body: { name: 'laptop' } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^sk-/);
    expect(created.body.token.startsWith(created.body.prefix)).toBe(true);
    expect((await devices(created.body.token)).status).toBe(200);
    const list = await api(relay.http, 'GET', '/api/tokens', { token: alice.token });
    expect(list.status).toBe(200);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(created.body.token);
    expect(text).not.toContain(alice.token);
    const entry = list.body.tokens.find((t: { id: number }) => t.id === created.body.id);
    expect(entry).toMatchObject({ name: 'laptop', prefix: created.body.prefix });
    expect(entry.last_used_at).not.toBeNull();
    expect((await api(relay.http, 'DELETE', `/api/tokens/${created.body.id}`, { token: alice.token })).status).toBe(200);
    expect((await devices(created.body.token)).status).toBe(401);
  });

  it('another user cannot revoke my token (404, token keeps working)', async () => {
    const bob = await registerUser(relay.http);
    const mine = await api(relay.http, 'GET', '/api/tokens', { token: alice.token });
    const id = mine.body.tokens[0].id;
    const res = await api(relay.http, 'DELETE', `/api/tokens/${id}`, { token: bob.token });
    expect(res.status).toBe(404);
    expect((await devices(alice.token)).status).toBe(200);
  });
});
