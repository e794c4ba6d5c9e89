/**
 * `wakelink watch` under a password login (issues 13 and 14): the relay closes a socket when the
 * access token it was opened with expires (B17); the watch then goes on with a refreshed token,
 * subscribed again, without printing its list twice, and still sees what happens afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../relay/helpers/relay';
import { connectDevice } from '../relay/helpers/ws';
import { runBin, startBinUntil } from './helpers/run-cli';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { tempDir } from './helpers/temp';

const PASSWORD = 'correct horse battery staple';
const DEVICE_ID = 'WL5E55A0';
const clock = new ManualClock(Date.now());
let relay: TestRelay;
let apiToken: string;

beforeAll(async () => {
  relay = await startTestRelay({ clock });
  apiToken = await createAccount(relay, 'erin', PASSWORD);
  const res = await fetch(`${relay.http}/api/register_device`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` }, body: JSON.stringify({ device_id: DEVICE_ID }),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => relay.close());

const refreshes = () => relay.requests.filter((line) => line.startsWith('POST /auth/refresh')).length;

describe('wakelink watch with a login session', () => {
  it('the access token expires at the relay: the watch refreshes it, subscribes again and goes on (exit 0 after the next change)', async () => {
    const home = tempDir('wl-cli-watch-renew-');
    const login = await runBin(['login', '--relay', relay.http, '--username', 'erin', '--password-stdin'], home, `${PASSWORD}\n`);
    expect(login.code, login.stderr).toBe(0);
    const run = startBinUntil(['watch', '--count', '1'], home, /watching 1 endpoint/);
    await run.started;
    const before = refreshes();
    const savedBefore = JSON.parse(readFileSync(join(home, 'relays.json'), 'utf8')).relays[relay.http];
    // Past the access token's lifetime (JWT_TTL_SECONDS, 900 s by default) on the relay's clock:
    // its expiry sweep closes the watch with "token expired".
    clock.advance(901_000);
    const deadline = Date.now() + 10_000;
    while (refreshes() === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(refreshes()).toBe(before + 1);
    // Subscribed again (the CLI says so on stderr): the board coming online reaches the renewed watch.
    while (!run.stderr().includes('subscribed again') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(run.stderr()).toContain('the watch renewed its login and subscribed again');
    const { probe } = await connectDevice(relay.ws, DEVICE_ID, apiToken);
    const done = await run.exited;
    probe.close();
    expect(done.code, done.stderr).toBe(0);
    const lines = done.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('watching'))).toHaveLength(1);
    expect(lines.some((line) => line.includes(DEVICE_ID) && line.endsWith('online'))).toBe(true);
    expect(lines.at(-1)).toBe('watched 1 change');
    // The rotated pair was saved: neither the expired access token nor the used refresh token is kept.
    const saved = JSON.parse(readFileSync(join(home, 'relays.json'), 'utf8')).relays[relay.http];
    expect(saved.kind).toBe('session');
    expect(saved.access_token).not.toBe(savedBefore.access_token);
    expect(saved.refresh_token).not.toBe(savedBefore.refresh_token);
  }, 30_000);

  it('two watches of one login renew together without ending the session: one refreshes, the other takes the saved pair', async () => {
    const home = tempDir('wl-cli-watch-renew2-');
    const login = await runBin(['login', '--relay', relay.http, '--username', 'erin', '--password-stdin'], home, `${PASSWORD}\n`);
    expect(login.code, login.stderr).toBe(0);
    const one = startBinUntil(['watch', '--count', '1'], home, /watching 1 endpoint/);
    const two = startBinUntil(['watch', '--count', '1'], home, /watching 1 endpoint/);
    await Promise.all([one.started, two.started]);
    const before = refreshes();
    clock.advance(901_000);
    const deadline = Date.now() + 10_000;
    const renewed = () => one.stderr().includes('subscribed again') && two.stderr().includes('subscribed again');
    while (!renewed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(renewed()).toBe(true);
    // One refresh for both (a second one with the same refresh token would have ended the session).
    expect(refreshes()).toBe(before + 1);
    const { probe } = await connectDevice(relay.ws, DEVICE_ID, apiToken);
    const [a, b] = await Promise.all([one.exited, two.exited]);
    probe.close();
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
  }, 30_000);
});
