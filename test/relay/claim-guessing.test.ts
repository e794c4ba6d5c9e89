/**
 * Claim codes are not guessable (issue 14): attempts are bounded per account, per address and on
 * the whole relay per minute, a live code that outlasted CLAIM_CODE_MAX_FAILURES wrong claims is
 * burned (its board gets a new one), and every failure looks the same. The big one: 10,000
 * guesses from 10,000 addresses (X-Forwarded-For behind TRUST_PROXY) over 25 accounts, a list
 * that even contains the live code, cannot claim the board (L6, B22 for claim codes). Also the
 * claim socket's own bounds (C3): per address, relay-wide, unclaimed timeout, no frames.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from './helpers/http';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe } from './helpers/ws';

let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

let seq = 0;
const nextDeviceId = () => `WLC2${((process.pid & 0xfff) * 0x1000 + ++seq).toString(16).toUpperCase().padStart(6, '0')}`;
const INVALID = { error: 'INVALID_CLAIM_CODE', detail: 'Invalid or expired claim code' };
const address = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

async function claimSocket(base: string, deviceId = nextDeviceId(), from?: string) {
  const probe = new WsProbe(`${base}/ws/claim/${deviceId}`, from ? { headers: { 'x-forwarded-for': from } } : {});
  await probe.opened;
  const frame = await probe.next();
  return { probe, deviceId, code: frame.code as string };
}

/** One at a time: registrations hash a password, one per address at once (LOGIN_BUSY otherwise). */
async function accounts(n: number): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (let i = 0; i < n; i += 1) users.push(await registerUser(relay!.http));
  return users;
}

const guess = (user: TestUser, code: string, from: string) =>
  api(relay!.http, 'POST', '/api/claim', { token: user.token, body: { code }, headers: { 'x-forwarded-for': from } });

describe('guessing claim codes (L6, B22)', () => {
  it('10,000 guesses from 10,000 addresses and 25 accounts, the live code among them, claim nothing; the owner then claims with the board\'s new code', async () => {
    const clock = new ManualClock(Date.now());
    relay = await startRelay({ clock, env: { TRUST_PROXY: '127.0.0.1' } });
    const owner = await registerUser(relay.http);
    const attackers = await accounts(25);
    const board = await claimSocket(relay.ws);
    // 10,000 distinct codes; the live one is the 25th, after CLAIM_CODE_MAX_FAILURES (20) wrong ones.
    const codes: string[] = [];
    for (let n = 0; codes.length < 10_000; n += 1) {
      const code = String((n * 7919 + 13) % 1_000_000).padStart(6, '0');
      if (code !== board.code) codes.push(code);
    }
    codes.splice(24, 0, board.code);
    codes.length = 10_000;

    const results: { status: number; body: any }[] = [];
    // The first 40 one by one, so the order is exact; then the rest 50 at a time.
    for (let i = 0; i < 40; i += 1) results.push(await guess(attackers[i % attackers.length]!, codes[i]!, address(i)));
    const renewed = await board.probe.next();
    expect(renewed).toMatchObject({ type: 'claim_code' });
    expect(renewed.code).not.toBe(board.code);
    // An attacker who somehow learnt the new code is still out of budget for this minute.
    codes.splice(100, 0, renewed.code);
    codes.length = 10_000;
    for (let i = 40; i < codes.length; i += 50) {
      const batch = codes.slice(i, i + 50).map((code, j) => guess(attackers[(i + j) % attackers.length]!, code, address(i + j)));
      results.push(...(await Promise.all(batch)));
    }
    expect(results).toHaveLength(10_000);
    expect(results.filter((r) => r.status === 200)).toEqual([]);
    const refused = results.filter((r) => r.status === 400);
    // The relay-wide budget (CLAIM_ATTEMPTS_PER_MINUTE = 60) is what 10,000 addresses run into.
    expect(refused).toHaveLength(60);
    for (const r of refused) expect(r.body).toEqual(INVALID);
    expect(results[24]!.body).toEqual(INVALID);
    for (const r of results.filter((x) => x.status !== 400)) {
      expect(r.status).toBe(429);
      expect(r.body.error).toBe('TOO_MANY_ATTEMPTS');
    }
    expect(results[100]!.status).toBe(429);
    // The board was never handed a credential; it holds a code nobody tried.
    const shown: string[] = [renewed.code];
    while (board.probe.pending() > 0) {
      const frame = await board.probe.next();
      expect(frame.type).toBe('claim_code');
      shown.push(frame.code);
    }
    expect(relay.app.claims.codes.burned).toBeGreaterThanOrEqual(1);

    // A minute later the owner enters the code the board shows now.
    clock.advance(60_000);
    const claimed = await guess(owner, shown.at(-1)!, address(20_000));
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
    expect((await board.probe.next()).type).toBe('credential');
    expect((await api(relay.http, 'GET', '/api/devices', { token: owner.token })).body.devices.map((d: any) => d.device_id)).toEqual([board.deviceId]);
    for (const attacker of attackers.slice(0, 3)) expect((await api(relay.http, 'GET', '/api/devices', { token: attacker.token })).body.devices).toEqual([]);
  }, 120_000);

  it('per account and per address: the 11th attempt in a minute is 429 with Retry-After, before the code is looked at', async () => {
    const clock = new ManualClock(Date.now());
    relay = await startRelay({ clock, env: { TRUST_PROXY: '127.0.0.1', CLAIM_ATTEMPTS_PER_MINUTE: '10000', CLAIM_CODE_MAX_FAILURES: '10000' } });
    const board = await claimSocket(relay.ws);
    const mallory = await registerUser(relay.http);
    // One account, many addresses.
    for (let i = 0; i < 10; i += 1) expect((await guess(mallory, '000000', address(i))).body).toEqual(INVALID);
    const overAccount = await guess(mallory, board.code, address(99));
    expect(overAccount.status).toBe(429);
    expect(Number(overAccount.headers.get('retry-after'))).toBeGreaterThan(0);
    // One address, many accounts.
    const users = await accounts(11);
    for (let i = 0; i < 10; i += 1) expect((await guess(users[i]!, '000000', '192.0.2.1')).body).toEqual(INVALID);
    expect((await guess(users[10]!, board.code, '192.0.2.1')).status).toBe(429);
    // The right code was never looked at: still live, and the budgets refill after the minute.
    clock.advance(60_000);
    expect((await guess(mallory, board.code, '192.0.2.1')).status).toBe(200);
  });

  it('a code that outlasted CLAIM_CODE_MAX_FAILURES wrong claims is burned: its board gets a new one and the old one is INVALID_CLAIM_CODE', async () => {
    relay = await startRelay({ env: { CLAIM_CODE_MAX_FAILURES: '3', CLAIM_ATTEMPTS_PER_ACCOUNT: '100', CLAIM_ATTEMPTS_PER_IP: '100' } });
    const owner = await registerUser(relay.http);
    const board = await claimSocket(relay.ws);
    const other = await claimSocket(relay.ws);
    for (const code of ['111111', '222222']) expect((await api(relay.http, 'POST', '/api/claim', { token: owner.token, body: { code } })).body).toEqual(INVALID);
    expect(await board.probe.nothingFor(50)).toBe(true);
    expect((await api(relay.http, 'POST', '/api/claim', { token: owner.token, body: { code: '333333' } })).body).toEqual(INVALID);
    const fresh = await board.probe.next();
    expect(fresh).toMatchObject({ type: 'claim_code', expires_in_seconds: 600 });
    expect((await other.probe.next()).type).toBe('claim_code');
    expect((await api(relay.http, 'POST', '/api/claim', { token: owner.token, body: { code: board.code } })).body).toEqual(INVALID);
    expect((await api(relay.http, 'POST', '/api/claim', { token: owner.token, body: { code: fresh.code } })).status).toBe(200);
    expect((await board.probe.next()).type).toBe('credential');
    other.probe.close();
  });
});

describe('claim socket bounds (C3)', () => {
  it('per address and relay-wide caps refuse the upgrade (429, 503); live codes are distinct', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: '127.0.0.1', CLAIM_SOCKETS_PER_IP: '2', CLAIM_SOCKETS_TOTAL: '4' } });
    const open = [await claimSocket(relay.ws, undefined, '198.51.100.1'), await claimSocket(relay.ws, undefined, '198.51.100.1')];
    const third = new WsProbe(`${relay.ws}/ws/claim/${nextDeviceId()}`, { headers: { 'x-forwarded-for': '198.51.100.1' } });
    await third.opened.catch(() => undefined);
    expect(third.unexpectedResponse).toBe(429);
    open.push(await claimSocket(relay.ws, undefined, '198.51.100.2'), await claimSocket(relay.ws, undefined, '198.51.100.3'));
    const fifth = new WsProbe(`${relay.ws}/ws/claim/${nextDeviceId()}`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    await fifth.opened.catch(() => undefined);
    expect(fifth.unexpectedResponse).toBe(503);
    expect(new Set(open.map((s) => s.code)).size).toBe(4);
    // A closed one frees its place.
    open[0]!.probe.close();
    await open[0]!.probe.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    open.push(await claimSocket(relay.ws, undefined, '198.51.100.1'));
    for (const s of open) s.probe.close();
    const bad = new WsProbe(`${relay.ws}/ws/claim/not-a-device`);
    await bad.opened.catch(() => undefined);
    expect(bad.unexpectedResponse).toBe(400);
  });

  it('an unclaimed socket is closed 4008 after CLAIM_SOCKET_TIMEOUT_SECONDS; frames from the board close it 1008, a large one 1009', async () => {
    relay = await startRelay({ env: { CLAIM_SOCKET_TIMEOUT_SECONDS: '1' } });
    const idle = await claimSocket(relay.ws);
    const started = Date.now();
    expect((await idle.probe.closed).code).toBe(4008);
    expect(Date.now() - started).toBeLessThan(2500);
    const chatty = await claimSocket(relay.ws);
    for (let i = 0; i < 9; i += 1) chatty.probe.send({ type: 'auth', token: 'sk-whatever' });
    expect((await chatty.probe.closed).code).toBe(1008);
    const big = await claimSocket(relay.ws);
    big.probe.send('x'.repeat(2048));
    expect((await big.probe.closed).code).toBe(1009);
    // Its code died with it.
    const owner = await registerUser(relay.http);
    expect((await api(relay.http, 'POST', '/api/claim', { token: owner.token, body: { code: idle.code } })).body).toEqual(INVALID);
  });
});
