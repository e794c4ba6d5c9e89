/**
 * Guessing and flooding the relay's credentials (issue 12 items 2, 3, 4; catalogue L6, B22):
 * throttled attempts are refused before any hashing, password hashes are bounded, an address over
 * its failure budget cannot spray guesses over many accounts, and API token guesses are counted
 * per address on HTTP and WS. Client addresses are told apart with X-Forwarded-For behind a
 * trusted proxy (TRUST_PROXY=127.0.0.1), as in trust-proxy.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../server/limits';
import { api, registerUser, uniqueName, type HttpResult, type TestUser } from './helpers/http';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe } from './helpers/ws';

let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const PROXY = { TRUST_PROXY: '127.0.0.1' };
const from = (address: string) => ({ 'X-Forwarded-For': address });
const login = (http: string, username: string, password: string, address: string) =>
  api(http, 'POST', '/auth/login', { body: { username, password }, headers: from(address) });

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const randomApiToken = () => 'sk-' + randomBytes(32).toString('base64url');

describe('login flood from one address (issue 12 item 2, L6)', () => {
  it('throttled attempts are refused before hashing; a correct login from another address stays under 1 s during the flood', async () => {
    relay = await startRelay({ env: PROXY });
    const owner = await registerUser(relay.http);
    const attacker = '203.0.113.66';
    const flood: { status: number; ms: number }[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop && flood.length < 400) {
        const { value, ms } = await timed(() => login(relay!.http, uniqueName('fresh'), 'wrong password!', attacker));
        flood.push({ status: value.status, ms });
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    const ownerLogins: { status: number; ms: number }[] = [];
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 6; i += 1) {
      const { value, ms } = await timed(() => login(relay!.http, owner.username, owner.password, '198.51.100.20'));
      ownerLogins.push({ status: value.status, ms });
      await new Promise((r) => setTimeout(r, 150));
    }
    stop = true;
    await Promise.all(workers);
    console.log(`item 2: correct logins during the flood: ${ownerLogins.map((l) => `${l.ms.toFixed(0)} ms`).join(', ')}; flood ${flood.length} attempts, ` +
      `${flood.filter((f) => f.status === 401).length}×401, ${flood.filter((f) => f.status === 429).length}×429 (median 429 ${median(flood.filter((f) => f.status === 429).map((f) => f.ms)).toFixed(1)} ms)`);
    expect(ownerLogins.map((l) => l.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const l of ownerLogins) expect(l.ms).toBeLessThan(1000);
    // Only the address's failure budget was evaluated (plus the hashes in progress when it ran out,
    // at most its share, and one retry per backoff step: 1 s, then 2 s, … within a few seconds),
    // everything after it was refused unhashed.
    expect(flood.filter((f) => f.status === 401).length).toBeLessThanOrEqual(LIMITS.loginFailuresPerIp + LIMITS.passwordHashesPerIp + 3);
    expect(flood.every((f) => f.status === 401 || f.status === 429)).toBe(true);
    const refused = flood.filter((f) => f.status === 429).map((f) => f.ms);
    expect(refused.length).toBeGreaterThan(100);
    expect(median(refused)).toBeLessThan(50);
  }, 60_000);

  it('concurrent password hashes are bounded: a burst beyond the hash queue is answered 429 LOGIN_BUSY at once, and each address holds at most its share', async () => {
    relay = await startRelay({ env: PROXY });
    const owner = await registerUser(relay.http);
    // 60 addresses, 2 attempts each, all at once: more than the hash slots and the queue hold.
    const burst = await Promise.all(Array.from({ length: 120 }, (_, i) =>
      timed(() => login(relay!.http, uniqueName('burst'), 'wrong password!', `203.0.113.${Math.floor(i / 2) + 1}`))));
    const busy = burst.filter((b) => b.value.status === 429);
    const evaluated = burst.filter((b) => b.value.status === 401);
    console.log(`item 2: burst of 120 from 60 addresses: ${evaluated.length} hashed (401), ${busy.length} refused (429, median ${median(busy.map((b) => b.ms)).toFixed(1)} ms)`);
    expect(evaluated.length).toBeLessThanOrEqual(LIMITS.passwordHashConcurrency + LIMITS.passwordHashQueue);
    expect(busy.length).toBe(120 - evaluated.length);
    for (const b of busy) {
      expect(b.value.body.error).toBe('LOGIN_BUSY');
      expect(b.value.headers.get('retry-after')).toBe('1');
    }
    // One address with many attempts in flight holds at most its share of the queue.
    const one = await Promise.all(Array.from({ length: 10 }, () => login(relay!.http, uniqueName('one'), 'wrong password!', '192.0.2.77')));
    expect(one.filter((r) => r.status === 401).length).toBeLessThanOrEqual(LIMITS.passwordHashesPerIp);
    expect((await login(relay.http, owner.username, owner.password, '198.51.100.21')).status).toBe(200);
  }, 60_000);
});

describe('password spraying from one address (issue 12 item 3, B22)', () => {
  it('an address over its failure budget gets 429 for every account without evaluating the guess; the owner still gets in from another address, and from that address after the window', async () => {
    const clock = new ManualClock();
    relay = await startRelay({ env: PROXY, clock, throttle: { registrationsPerIp: 1000, loginFailuresPerIp: 5, loginFailuresPerAccount: 5 } });
    const accounts: TestUser[] = [];
    for (let i = 0; i < 8; i += 1) accounts.push(await registerUser(relay.http));
    const sprayer = '203.0.113.99';
    // One guess per account: no account reaches its own budget.
    for (let i = 0; i < 5; i += 1) expect((await login(relay.http, accounts[i]!.username, 'wrong password!', sprayer)).status).toBe(401);
    // Accounts the address never tried: still refused, even the right password (no oracle), and fast.
    const untouched = accounts[6]!;
    const right = await timed(() => login(relay!.http, untouched.username, untouched.password, sprayer));
    expect(right.value.status).toBe(429);
    expect(right.value.body.error).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(right.value.headers.get('retry-after'))).toBeGreaterThan(0);
    const wrong = await timed(() => login(relay!.http, accounts[7]!.username, 'wrong password!', sprayer));
    expect(wrong.value.status).toBe(429);
    // The owner of a sprayed account logs in from their own address at once…
    expect((await login(relay.http, accounts[0]!.username, accounts[0]!.password, '198.51.100.30')).status).toBe(200);
    // …and from the sprayer's address once its window has passed.
    clock.advance(LIMITS.loginWindowMs + 1);
    expect((await login(relay.http, untouched.username, untouched.password, sprayer)).status).toBe(200);
  });
});

describe('API token guessing (issue 12 item 4, B22)', () => {
  const budget = 10;

  it('HTTP: failed token authentications are counted per address; past the bound the address gets 429 (even with a valid token) until the window passes; other addresses are unaffected', async () => {
    const clock = new ManualClock();
    relay = await startRelay({ env: PROXY, clock, throttle: { registrationsPerIp: 1000, tokenFailuresPerIp: budget } });
    const user = await registerUser(relay.http);
    const guesser = '203.0.113.120';
    const statuses: number[] = [];
    let last: HttpResult | undefined;
    for (let i = 0; i < 40; i += 1) {
      last = await api(relay.http, 'GET', '/api/devices', { token: randomApiToken(), headers: from(guesser) });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, budget)).toEqual(Array(budget).fill(401));
    expect(statuses.slice(budget)).toEqual(Array(40 - budget).fill(429));
    expect(last!.body.error).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Refused before evaluation: a correct token from that address is not let through (no oracle).
    expect((await api(relay.http, 'GET', '/api/devices', { token: user.token, headers: from(guesser) })).status).toBe(429);
    // X-API-Token is the same path.
    expect((await api(relay.http, 'GET', '/api/devices', { headers: { ...from(guesser), 'x-api-token': randomApiToken() } })).status).toBe(429);
    expect((await api(relay.http, 'GET', '/api/devices', { token: user.token, headers: from('198.51.100.40') })).status).toBe(200);
    clock.advance(LIMITS.loginWindowMs + 1);
    expect((await api(relay.http, 'GET', '/api/devices', { token: user.token, headers: from(guesser) })).status).toBe(200);
  });

  it('WS: auth-frame and header guesses count for the address too; past the bound its upgrades are refused 429, other addresses connect', async () => {
    relay = await startRelay({ env: PROXY, throttle: { registrationsPerIp: 1000, tokenFailuresPerIp: budget } });
    const user = await registerUser(relay.http);
    const guesser = '203.0.113.121';
    const guess = async (n: number, header: boolean): Promise<{ frame: any; code: number }> => {
      const headers = { ...from(guesser), ...(header ? { authorization: `Bearer ${randomApiToken()}` } : {}) };
      const probe = new WsProbe(`${relay!.ws}/ws/client/guess-${n}`, { headers });
      await probe.opened;
      if (!header) probe.send({ type: 'auth', token: randomApiToken() });
      const frame = await probe.next();
      return { frame, code: (await probe.closed).code };
    };
    for (let i = 0; i < budget; i += 1) {
      const { frame, code } = await guess(i, i % 2 === 0);
      expect(frame).toMatchObject({ status: 'error', error: 'INVALID_TOKEN' });
      expect(code).toBe(1008);
    }
    const refused = new WsProbe(`${relay.ws}/ws/client/guess-late`, { headers: { ...from(guesser), authorization: `Bearer ${user.token}` } });
    await refused.opened.catch(() => undefined);
    expect(refused.unexpectedResponse).toBe(429);
    const fine = new WsProbe(`${relay.ws}/ws/client/guess-other`, { headers: { ...from('198.51.100.41'), authorization: `Bearer ${user.token}` } });
    await fine.opened;
    expect(await fine.next()).toMatchObject({ type: 'welcome' });
    fine.close();
  });
});
