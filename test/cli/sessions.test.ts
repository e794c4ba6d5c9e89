/**
 * Issue 14 from the CLI: `wakelink login` keeps a login session (refresh token in relays.json,
 * mode 0600, never printed) and refreshes it when the access token has expired; `wakelink
 * sessions` lists and revokes; `wakelink logout`; `wakelink pairings`. The real bin as a child
 * process against the real relay on 127.0.0.1.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './helpers/run-cli';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { tempDir } from './helpers/temp';

const PASSWORD = 'correct horse battery staple';
let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay();
  await createAccount(relay, 'dave', PASSWORD);
});
afterAll(async () => relay.close());

const relaysFile = (home: string) => join(home, 'relays.json');
const saved = (home: string) => (JSON.parse(readFileSync(relaysFile(home), 'utf8')).relays ?? {})[relay.http] as Record<string, unknown> | undefined;

async function login(home: string) {
  const run = await runBin(['login', '--relay', relay.http, '--username', 'dave', '--password-stdin'], home, `${PASSWORD}\n`);
  expect(run.code, run.stderr).toBe(0);
  return saved(home)!;
}

describe('wakelink login keeps a login session', () => {
  it('an expired access token is refreshed before the call: the rotated pair is saved (0600) and nothing secret is printed', async () => {
    const home = tempDir('wl-cli-sessions-');
    const first = await login(home);
    // Pretend the access token ran out.
    const file = JSON.parse(readFileSync(relaysFile(home), 'utf8'));
    file.relays[relay.http].access_expires_at = Date.now() / 1000 - 5;
    writeFileSync(relaysFile(home), JSON.stringify(file), { mode: 0o600 });
    const before = relay.requests.filter((line) => line.startsWith('POST /auth/refresh')).length;

    const run = await runBin(['endpoints', '--json'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(relay.requests.filter((line) => line.startsWith('POST /auth/refresh')).length).toBe(before + 1);
    const next = saved(home)!;
    expect(next.session_id).toBe(first.session_id);
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect(next.access_token).not.toBe(first.access_token);
    expect(Number(next.access_expires_at)).toBeGreaterThan(Date.now() / 1000 + 600);
    expect(statSync(relaysFile(home)).mode & 0o777).toBe(0o600);
    for (const secret of [first.refresh_token, next.refresh_token, next.access_token]) expect(run.stdout + run.stderr).not.toContain(String(secret));

    // A still valid access token is used as it is: no refresh.
    expect((await runBin(['endpoints'], home)).code).toBe(0);
    expect(relay.requests.filter((line) => line.startsWith('POST /auth/refresh')).length).toBe(before + 1);
  });

  it('wakelink sessions lists the account\'s sessions (* = this CLI) and revokes one; a revoked own session is forgotten, the next call is exit 5', async () => {
    const home = tempDir('wl-cli-sessions-');
    const other = tempDir('wl-cli-sessions-');
    const mine = await login(home);
    const theirs = await login(other);
    const listed = await runBin(['sessions', '--json'], home);
    expect(listed.code, listed.stderr).toBe(0);
    const ids = JSON.parse(listed.stdout).sessions.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([mine.session_id, theirs.session_id]));
    const human = await runBin(['sessions'], home);
    expect(human.stdout).toContain(`* ${String(mine.session_id)}`);
    expect(human.stdout).not.toContain(String(mine.refresh_token));

    // Revoke the other machine's session from this one: that machine is logged out.
    expect((await runBin(['sessions', 'revoke', String(theirs.session_id)], home)).code).toBe(0);
    const refused = await runBin(['endpoints'], other);
    expect(refused.code).toBe(5);
    // Its own session: relays.json forgets it.
    expect((await runBin(['sessions', 'revoke', String(mine.session_id)], home)).code).toBe(0);
    expect(saved(home)).toBeUndefined();
    const gone = await runBin(['endpoints', '--relay', relay.http], home);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toContain('not logged in');
    expect((await runBin(['sessions', 'revoke', 'nonsense'], other)).code).toBe(2);
  });

  it('wakelink logout ends the session on the relay and forgets it locally', async () => {
    const home = tempDir('wl-cli-sessions-');
    const credential = await login(home);
    const run = await runBin(['logout'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`logged out of ${relay.http}`);
    expect(saved(home)).toBeUndefined();
    const after = await fetch(`${relay.http}/api/devices`, { headers: { authorization: `Bearer ${String(credential.access_token)}` } });
    expect(after.status).toBe(401);
  });
});

describe('wakelink pairings', () => {
  it('code for a host, confirm for a client, list, remove; a wrong code is invalid_code', async () => {
    const home = tempDir('wl-cli-pairings-');
    await login(home);
    const host = JSON.parse((await runBin(['endpoints', 'add', 'desktop', '--kind', 'host', '--json'], home)).stdout).endpoint.id;
    const app = JSON.parse((await runBin(['endpoints', 'add', 'phone', '--kind', 'app', '--json'], home)).stdout).endpoint.id;
    const code = await runBin(['pairings', 'code', host, '--json'], home);
    expect(code.code, code.stderr).toBe(0);
    const issued = JSON.parse(code.stdout);
    expect(issued).toMatchObject({ code: expect.stringMatching(/^\d{6}$/), expires_in_seconds: 600 });
    const wrong = await runBin(['pairings', 'confirm', app, issued.code === '000000' ? '000001' : '000000'], home);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Invalid or expired code');
    const confirmed = await runBin(['pairings', 'confirm', app, issued.code, '--json'], home);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    const paired = JSON.parse(confirmed.stdout);
    expect(paired).toMatchObject({ status: 'paired', host_device_id: host, client_endpoint: app });
    const list = await runBin(['pairings'], home);
    expect(list.stdout).toContain(paired.pairing_id);
    expect((await runBin(['pairings', 'remove', paired.pairing_id], home)).code).toBe(0);
    expect(JSON.parse((await runBin(['pairings', '--json'], home)).stdout).pairings).toEqual([]);
  });
});
