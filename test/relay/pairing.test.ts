/**
 * Issue 14, pairing two endpoints: codes, confirmation, auto-routing both ways, and why the 6-digit
 * space cannot be searched. Real relay on port 0 (TRUST_PROXY=127.0.0.1, so a test can speak from
 * many addresses), real SQLite file, real `ws` sockets, a ManualClock for expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { connectBoard, createEndpoint, expectFrame } from './helpers/routing';
import { connectClient, type WsProbe } from './helpers/ws';

let relay: RunningRelay;
const clock = new ManualClock(Date.now());
const DEVICE_TOKEN = newDeviceToken();

beforeAll(async () => {
  relay = await startRelay({ clock, env: { TRUST_PROXY: '127.0.0.1' } });
});
afterAll(() => relay.close());

/** A registered endpoint of the user with its socket open. */
async function endpointSocket(user: TestUser, kind: string, name: string): Promise<{ id: string; probe: WsProbe }> {
  const id = (await createEndpoint(relay.http, user.token, { kind, name })).id as string;
  const { probe, welcome } = await connectClient(relay.ws, id, user.token);
  expect(welcome).toMatchObject({ type: 'welcome', endpoint: id });
  return { id, probe };
}

async function pairCode(probe: WsProbe): Promise<string> {
  probe.send({ type: 'pair_request', id: 'want-code' });
  const frame = await expectFrame(probe, 'pair_code');
  expect(frame).toEqual({ type: 'pair_code', id: 'want-code', code: expect.stringMatching(/^\d{6}$/), expires_in_seconds: 600 });
  return frame.code;
}

describe('pairing over the routing protocol', () => {
  it('a host asks for a code, another endpoint confirms it: both hear `paired`; the code is single use', async () => {
    const alice = await registerUser(relay.http);
    const host = await endpointSocket(alice, 'host', 'desktop');
    const app = await endpointSocket(alice, 'app', 'phone');
    const code = await pairCode(host.probe);
    app.probe.send({ type: 'pair_confirm', code, id: 'c1' });
    const paired = await expectFrame(app.probe, 'paired');
    expect(paired).toEqual({
      type: 'paired', id: 'c1', status: 'paired', pairing_id: expect.stringMatching(/^pr_[0-9a-f]{20}$/),
      host_device_id: host.id, host_endpoint: host.id, client_endpoint: app.id,
    });
    expect(await expectFrame(host.probe, 'paired')).toMatchObject({ pairing_id: paired.pairing_id, client_endpoint: app.id });
    // Single use.
    const third = await endpointSocket(alice, 'cli', 'laptop');
    third.probe.send({ type: 'pair_confirm', code, id: 'again' });
    expect(await expectFrame(third.probe, 'error')).toEqual({ type: 'error', error: 'invalid_code', detail: 'Invalid or expired code', id: 'again' });
    // An endpoint cannot confirm its own code.
    const own = await pairCode(host.probe);
    host.probe.send({ type: 'pair_confirm', code: own });
    expect((await expectFrame(host.probe, 'error')).error).toBe('invalid_code');
    const listed = await api(relay.http, 'GET', '/api/pairings', { token: alice.token });
    expect(listed.body.pairings).toEqual([{ id: paired.pairing_id, host_endpoint: host.id, host_device_id: host.id, client_endpoint: app.id, created_at: expect.any(String) }]);
    [host, app, third].forEach((e) => e.probe.close());
  });

  it('auto-routing both ways: a command without `to` reaches the paired board, its reply comes back, and the board\'s events reach the client unsubscribed', async () => {
    const alice = await registerUser(relay.http);
    const board = await connectBoard(relay, alice.token, 'WLA1B001');
    board.probe.send({ type: 'pair_request' });
    const { code } = await expectFrame(board.probe, 'pair_code');
    const app = await endpointSocket(alice, 'app', 'phone');
    app.probe.send({ type: 'pair_confirm', code });
    const paired = await expectFrame(app.probe, 'paired');
    expect(paired).toMatchObject({ host_device_id: 'WLA1B001', host_endpoint: board.endpoint });
    // The board (a v1.0 firmware would ignore it) is told too.
    expect(await expectFrame(board.probe, 'paired')).toMatchObject({ client_endpoint: app.id });

    app.probe.send({ type: 'command', id: 'k1', packet: commandPacket(DEVICE_TOKEN, 'WLA1B001', 'ping', 'pair0001') });
    const onBoard = await board.probe.next();
    expect(open(DEVICE_TOKEN, onBoard).request_id).toBe('pair0001');
    board.probe.send(responsePacket(DEVICE_TOKEN, 'WLA1B001', { status: 'success', request_id: 'pair0001' }));
    const two = [await app.probe.next(), await app.probe.next()];
    expect(two.find((f) => f.type === 'ack')).toMatchObject({ of: 'command', id: 'k1', target_device_id: board.endpoint, device_id: 'WLA1B001' });
    expect(two.find((f) => f.type === 'response')).toMatchObject({ from: board.endpoint, device_id: 'WLA1B001', id: 'k1' });

    board.probe.send({ type: 'event', event: 'wake.confirmed', content: { up: true } });
    expect(await expectFrame(app.probe, 'event')).toMatchObject({ from: board.endpoint, device_id: 'WLA1B001', event: 'wake.confirmed', content: { up: true } });
    // Another endpoint of the account, neither paired nor subscribed, gets nothing.
    const bystander = await endpointSocket(alice, 'app', 'tablet');
    board.probe.send({ type: 'event', event: 'wake.confirmed', content: { up: false } });
    expect((await expectFrame(app.probe, 'event')).content).toEqual({ up: false });
    expect(await bystander.probe.nothingFor(200)).toBe(true);

    const history = await api(relay.http, 'GET', '/api/history?limit=50', { token: alice.token });
    expect(history.body.entries.some((e: { kind: string; status: string }) => e.kind === 'pairing' && e.status === 'paired')).toBe(true);
    expect(JSON.stringify(history.body)).not.toContain(code);

    // Removed over REST: no paired host any more.
    expect((await api(relay.http, 'DELETE', `/api/pairings/${paired.pairing_id}`, { token: alice.token })).body).toEqual({ status: 'removed', id: paired.pairing_id });
    app.probe.send({ type: 'command', id: 'k2', packet: commandPacket(DEVICE_TOKEN, 'WLA1B001', 'ping', 'pair0002') });
    expect(await expectFrame(app.probe, 'error')).toEqual({ type: 'error', error: 'no paired host', detail: expect.any(String), id: 'k2' });
    expect(await board.probe.nothingFor(200)).toBe(true);
    [board, app, bystander].forEach((e) => e.probe.close());
  });

  it('no paired host, and an offline host: `no paired host` / `target_offline`, nothing sent anywhere', async () => {
    const alice = await registerUser(relay.http);
    const lonely = await endpointSocket(alice, 'app', 'lonely');
    lonely.probe.send({ type: 'command', packet: commandPacket(DEVICE_TOKEN, 'WLA1B002', 'ping', 'none0001') });
    expect((await expectFrame(lonely.probe, 'error')).error).toBe('no paired host');
    // A v1.0 CLI's connection-scoped endpoint cannot pair.
    const { probe: v1 } = await connectClient(relay.ws, 'cli_v1_pairing', alice.token);
    v1.send({ type: 'pair_request' });
    expect((await expectFrame(v1, 'error')).error).toBe('pairing_needs_endpoint');
    v1.close();

    const board = await connectBoard(relay, alice.token, 'WLA1B002');
    board.probe.send({ type: 'pair_request' });
    const { code } = await expectFrame(board.probe, 'pair_code');
    lonely.probe.send({ type: 'pair_confirm', code });
    await expectFrame(lonely.probe, 'paired');
    board.probe.close();
    await board.probe.closed;
    lonely.probe.send({ type: 'command', id: 'off', packet: commandPacket(DEVICE_TOKEN, 'WLA1B002', 'ping', 'offl0001') });
    expect(await expectFrame(lonely.probe, 'error')).toMatchObject({ type: 'error', error: 'target_offline', id: 'off', to: board.endpoint });
    lonely.probe.close();
  });

  it('another account cannot use the code (same invalid_code), nor see or remove the pairing', async () => {
    const alice = await registerUser(relay.http);
    const bob = await registerUser(relay.http);
    const host = await endpointSocket(alice, 'host', 'desktop');
    const code = await pairCode(host.probe);
    const intruder = await endpointSocket(bob, 'app', 'bob-phone');
    intruder.probe.send({ type: 'pair_confirm', code });
    expect((await expectFrame(intruder.probe, 'error')).error).toBe('invalid_code');
    // Over REST bob cannot even name alice's endpoint.
    expect((await api(relay.http, 'POST', '/api/pairings', { token: bob.token, body: { endpoint: host.id, code } })).status).toBe(404);
    // The code still works for alice (bob's failures are counted against bob's account, not hers).
    const app = await endpointSocket(alice, 'app', 'phone');
    app.probe.send({ type: 'pair_confirm', code });
    const paired = await expectFrame(app.probe, 'paired');
    expect((await api(relay.http, 'GET', '/api/pairings', { token: bob.token })).body.pairings).toEqual([]);
    expect((await api(relay.http, 'DELETE', `/api/pairings/${paired.pairing_id}`, { token: bob.token })).status).toBe(404);
    expect((await api(relay.http, 'GET', '/api/pairings', { token: alice.token })).body.pairings).toHaveLength(1);
    [host, intruder, app].forEach((e) => e.probe.close());
  });
});

describe('pairing codes over REST and their bounds', () => {
  it('POST /api/pairings/code → {"code","expires_in_seconds":600}; a code expires after PAIRING_CODE_TTL_SECONDS', async () => {
    const alice = await registerUser(relay.http);
    const host = (await createEndpoint(relay.http, alice.token, { kind: 'host', name: 'desktop' })).id;
    const app = (await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone' })).id;
    const issued = await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } });
    expect(issued.body).toEqual({ code: expect.stringMatching(/^\d{6}$/), expires_in_seconds: 600 });
    clock.advance(600_001);
    const late = await api(relay.http, 'POST', '/api/pairings', { token: alice.token, body: { endpoint: app, code: issued.body.code } });
    expect(late.status).toBe(400);
    expect(late.body).toEqual({ error: 'invalid_code', detail: 'Invalid or expired code' });
    const fresh = await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } });
    const ok = await api(relay.http, 'POST', '/api/pairings', { token: alice.token, body: { endpoint: app, code: fresh.body.code } });
    expect(ok.body).toMatchObject({ status: 'paired', host_device_id: host, client_endpoint: app });
    // PAIRING_CODES_PER_ACCOUNT (4) waiting at once.
    for (let i = 0; i < 4; i += 1) expect((await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } })).status).toBe(200);
    expect((await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } })).body.error).toBe('code_limit');
  });

  it('10,000 guesses from 1,000 addresses cannot find a live code, even when one of them is the code: it is burned, and the wrong ones fail alike', async () => {
    clock.advance(61_000); // a fresh window
    const alice = await registerUser(relay.http);
    const host = (await createEndpoint(relay.http, alice.token, { kind: 'host', name: 'desktop' })).id;
    const app = (await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone' })).id;
    const { code } = (await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } })).body;
    const guesses: string[] = [];
    for (let i = 0; guesses.length < 10_000; i += 1) {
      const guess = String((Number(code) + 1 + i * 97) % 1_000_000).padStart(6, '0');
      if (guess !== code) guesses.push(guess);
    }
    guesses[5_000] = code; // the attacker even tries the right one, late
    const bodies = new Set<string>();
    let paired = 0;
    const worker = async (offset: number) => {
      for (let i = offset; i < guesses.length; i += 50) {
        const address = `10.${(i % 1000) >> 8}.${i % 256}.${1 + (i % 7)}`;
        const res = await api(relay.http, 'POST', '/api/pairings', { token: alice.token, body: { endpoint: app, code: guesses[i] }, headers: { 'X-Forwarded-For': address } });
        if (res.status === 200) paired += 1;
        else bodies.add(`${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => worker(i)));
    expect(paired).toBe(0);
    // Every failure, throttled or not, is the same answer.
    expect([...bodies]).toEqual(['400 {"error":"invalid_code","detail":"Invalid or expired code"}']);
    // Even in a new window the right code is dead: it was burned by the first wrong guesses.
    clock.advance(61_000);
    expect((await api(relay.http, 'POST', '/api/pairings', { token: alice.token, body: { endpoint: app, code } })).body.error).toBe('invalid_code');
    expect((await api(relay.http, 'GET', '/api/pairings', { token: alice.token })).body.pairings).toEqual([]);
    const history = await api(relay.http, 'GET', '/api/history?limit=200', { token: alice.token });
    expect(history.body.entries.filter((e: { status: string }) => e.status === 'code_burned').length).toBe(1);
    // Control: without guesses a fresh code works at the first try.
    const fresh = (await api(relay.http, 'POST', '/api/pairings/code', { token: alice.token, body: { endpoint: host } })).body.code;
    expect((await api(relay.http, 'POST', '/api/pairings', { token: alice.token, body: { endpoint: app, code: fresh } })).body.status).toBe('paired');
  }, 120_000);
});
