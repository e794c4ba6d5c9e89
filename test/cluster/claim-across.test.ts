/**
 * Claim codes and pairing codes across instances (issue 15): a code lives on the instance that
 * issued it, and is claimed or confirmed from any instance behind a load balancer with no sticky
 * sessions. Three real relay processes on one redis-server and one database; small bounds through
 * the documented variables (CLAIM_CODE_MAX_FAILURES, CLAIM_ATTEMPTS_PER_ACCOUNT,
 * PAIRING_FAILURES_PER_CODE) so budgets and burning show in a few attempts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, registerUser, type TestUser } from '../relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../relay/helpers/packets';
import { connectBoard, createEndpoint, expectFrame } from '../relay/helpers/routing';
import { connectClient, connectDevice, type WsProbe } from '../relay/helpers/ws';
import { RedisBus } from '../../server/backplane/redis-bus';
import { RedisCodeReservations } from '../../server/backplane/redis-codes';
import { RedisServer, sleep, startInstance, stopInstance, tempDir, until, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

let redis: RedisServer;
let store: ClusterStore;
let a: RelayInstance;
let b: RelayInstance;
let c: RelayInstance;

const BOUNDS = {
  CLAIM_CODE_MAX_FAILURES: '3', CLAIM_ATTEMPTS_PER_ACCOUNT: '4', CLAIM_ATTEMPTS_PER_IP: '10000', CLAIM_ATTEMPTS_PER_MINUTE: '100000',
  PAIRING_FAILURES_PER_CODE: '3', PAIRING_FAILURES_PER_ACCOUNT: '50', PAIRING_FAILURES_PER_ADDRESS: '10000',
};

beforeAll(async () => {
  redis = await RedisServer.start();
  store = await clusterStoreEnv(tempDir('wl-cluster-claim-'));
  const env = { REDIS_URL: redis.url, ...store.env, ...BOUNDS };
  a = await startInstance('a', env);
  [b, c] = await Promise.all([startInstance('b', env), startInstance('c', env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, c].filter(Boolean).map((instance) => stopInstance(instance)));
  await redis?.destroy();
  await store?.destroy();
});

const newDeviceId = () => `WLC${randomBytes(3).toString('hex').toUpperCase()}`;

/** A board waiting to be claimed: its claim socket and every frame it got, in order. */
function claimSocket(instance: RelayInstance, deviceId: string): { socket: WebSocket; frames: Record<string, unknown>[]; codes: () => string[] } {
  const socket = new WebSocket(`${instance.ws}/ws/claim/${deviceId}`);
  const frames: Record<string, unknown>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return { socket, frames, codes: () => frames.filter((f) => f.type === 'claim_code').map((f) => String(f.code)) };
}

/** A 6-digit code that is not `code` (nor any other live one: each test has one claim socket open). */
const wrongCode = (code: string, n: number) => code.slice(0, 5) + String((Number(code[5]) + n) % 10);

const claim = (instance: RelayInstance, user: TestUser, code: string) => api(instance.http, 'POST', '/api/claim', { token: user.token, body: { code, name: 'shelf' } });

describe('claim codes across instances', () => {
  it('a code shown by a board on B is claimed on A: the credential arrives on B, the board reconnects on C and a command goes round; the code is then used up everywhere', async () => {
    const user = await registerUser(a.http);
    const deviceId = newDeviceId();
    const board = claimSocket(b, deviceId);
    const [code] = await until('claim code on B', () => board.codes().length > 0 && board.codes());
    const started = performance.now();
    const claimed = await claim(a, user, code!);
    const claimMs = performance.now() - started;
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ status: 'claimed', device_id: deviceId, created: true, credential_prefix: expect.stringMatching(/^dc_/) });
    const credential = String((await until('credential on B', () => board.frames.find((f) => f.type === 'credential'))).credential);
    expect(credential.startsWith(String(claimed.body.credential_prefix))).toBe(true);
    // The credential only ever went down B's claim socket: the HTTP answer on A has its prefix only.
    expect(JSON.stringify(claimed.body)).not.toContain(credential);
    // For comparison, the same on the holding instance.
    const local = claimSocket(b, newDeviceId());
    const [localCode] = await until('claim code on B', () => local.codes().length > 0 && local.codes());
    const localStarted = performance.now();
    expect((await claim(b, user, localCode!)).status).toBe(200);
    console.info(`claim: POST on A, code held on B ${claimMs.toFixed(1)} ms; POST on B ${(performance.now() - localStarted).toFixed(1)} ms`);

    const again = await claim(c, user, code!);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('INVALID_CLAIM_CODE');

    const deviceToken = newDeviceToken();
    const { probe: device, welcome } = await connectDevice(c.ws, deviceId, credential);
    expect(welcome.type).toBe('welcome');
    device.socket.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"type"')) return;
      const inner = open(deviceToken, text);
      device.send(responsePacket(deviceToken, deviceId, { status: 'success', request_id: inner.request_id, echo: inner.command }));
    });
    const { probe: client } = await connectClient(a.ws, 'cli_claimed', user.token);
    client.send(commandPacket(deviceToken, deviceId, 'ping', 'cl1'));
    const frames = [await client.next(), await client.next()];
    expect(frames.find((f) => f.status === 'success')).toMatchObject({ device_id: deviceId, delivered: true });
    expect(open(deviceToken, frames.find((f) => f.payload !== undefined))).toMatchObject({ request_id: 'cl1', echo: 'ping' });
    client.close();
    device.close();
  });

  it('wrong claims on A and C burn a code held on B after CLAIM_CODE_MAX_FAILURES; the new one works', async () => {
    const guesser = await registerUser(a.http);
    const owner = await registerUser(c.http);
    const board = claimSocket(b, newDeviceId());
    const [first] = await until('claim code on B', () => board.codes().length > 0 && board.codes());
    for (const [n, instance] of [a, c, a].entries()) {
      const wrong = await claim(instance, guesser, wrongCode(first!, n + 1));
      expect(wrong.body.error).toBe('INVALID_CLAIM_CODE');
    }
    const [, second] = await until('a new code on B after the third wrong claim', () => board.codes().length > 1 && board.codes());
    expect(second).not.toBe(first);
    expect((await claim(c, owner, first!)).body.error).toBe('INVALID_CLAIM_CODE');
    expect((await claim(c, owner, second!)).status).toBe(200);
    await until('credential on B', () => board.frames.find((f) => f.type === 'credential'));
  });

  it('the per-account budget is one budget: attempts on A and B exhaust it on C (429 TOO_MANY_ATTEMPTS)', async () => {
    const user = await registerUser(a.http);
    for (const instance of [a, b, a, b]) expect((await claim(instance, user, '000000')).status).toBe(400);
    await sleep(150); // the broadcasts of the last attempt reach C
    const refused = await claim(c, user, '000000');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

/** A registered endpoint of the user with its socket open on `instance`. */
async function endpointOn(instance: RelayInstance, user: TestUser, name: string): Promise<{ id: string; probe: WsProbe }> {
  const id = (await createEndpoint(instance.http, user.token, { kind: 'app', name })).id as string;
  const { probe, welcome } = await connectClient(instance.ws, id, user.token);
  expect(welcome).toMatchObject({ type: 'welcome', endpoint: id });
  return { id, probe };
}

describe('pairing codes across instances', () => {
  it('a board on A asks for a code, an app on B confirms it: both hear `paired`; the app\'s command without `to` reaches the board on A; the board\'s events reach the app', async () => {
    const user = await registerUser(a.http);
    const deviceId = newDeviceId();
    const deviceToken = newDeviceToken();
    const board = await connectBoard(a, user.token, deviceId);
    const app = await endpointOn(b, user, 'phone');
    // An event before the pairing: A caches that the board has no clients; the pairing made on B must drop that.
    board.probe.send({ type: 'event', event: 'boot', content: {} });
    await sleep(100);
    board.probe.send({ type: 'pair_request', id: 'p1' });
    const { code } = await expectFrame(board.probe, 'pair_code');
    app.probe.send({ type: 'pair_confirm', code, id: 'c1' });
    const paired = await expectFrame(app.probe, 'paired');
    expect(paired).toMatchObject({ id: 'c1', host_device_id: deviceId, host_endpoint: board.endpoint, client_endpoint: app.id });
    expect(await expectFrame(board.probe, 'paired')).toMatchObject({ pairing_id: paired.pairing_id, client_endpoint: app.id });

    app.probe.send({ type: 'command', id: 'k1', packet: commandPacket(deviceToken, deviceId, 'ping', 'pair0001') });
    expect(open(deviceToken, await board.probe.next()).request_id).toBe('pair0001');
    board.probe.send(responsePacket(deviceToken, deviceId, { status: 'success', request_id: 'pair0001' }));
    const two = [await app.probe.next(), await app.probe.next()];
    expect(two.find((f) => f.type === 'ack')).toMatchObject({ id: 'k1', target_device_id: board.endpoint });
    expect(two.find((f) => f.type === 'response')).toMatchObject({ from: board.endpoint, id: 'k1' });
    board.probe.send({ type: 'event', event: 'wake.confirmed', content: { up: true } });
    expect(await expectFrame(app.probe, 'event')).toMatchObject({ from: board.endpoint, event: 'wake.confirmed' });

    // Used up: a third endpoint on C gets the one answer for every failed code.
    const third = await endpointOn(c, user, 'tablet');
    third.probe.send({ type: 'pair_confirm', code, id: 'again' });
    expect(await expectFrame(third.probe, 'error')).toMatchObject({ error: 'invalid_code', id: 'again' });
    [board, app, third].forEach((e) => e.probe.close());
  });

  it('wrong codes entered on B and C burn a code held on A after PAIRING_FAILURES_PER_CODE; a fresh one pairs from C', async () => {
    const user = await registerUser(a.http);
    const host = await endpointOn(a, user, 'desktop');
    const [onB, onC] = await Promise.all([endpointOn(b, user, 'phone'), endpointOn(c, user, 'laptop')]);
    host.probe.send({ type: 'pair_request' });
    const { code } = await expectFrame(host.probe, 'pair_code');
    for (const [n, guesser] of [onB, onC, onB].entries()) {
      guesser.probe.send({ type: 'pair_confirm', code: wrongCode(code, n + 1) });
      expect((await expectFrame(guesser.probe, 'error')).error).toBe('invalid_code');
    }
    await sleep(150); // the last failure's broadcast reaches A
    onC.probe.send({ type: 'pair_confirm', code });
    expect((await expectFrame(onC.probe, 'error')).error).toBe('invalid_code');
    expect(await host.probe.nothingFor(200)).toBe(true);
    // Control: it was the burn. A fresh code of the host, entered on C at the first try, pairs.
    host.probe.send({ type: 'pair_request' });
    const fresh = (await expectFrame(host.probe, 'pair_code')).code;
    onC.probe.send({ type: 'pair_confirm', code: fresh });
    expect(await expectFrame(onC.probe, 'paired')).toMatchObject({ client_endpoint: onC.id });
    [host, onB, onC].forEach((e) => e.probe.close());
  });
});

describe('reservations in Redis', () => {
  it('Redis holds one HMAC key per live code naming its instance, never the code; a code live on one instance cannot be reserved by another until it is freed', async () => {
    const board = claimSocket(b, newDeviceId());
    const [code] = await until('claim code on B', () => board.codes().length > 0 && board.codes());
    const buses = ['x', 'y'].map((name) => new RedisBus({ url: redis.url, instanceId: `probe-${name}`, requestTimeoutMs: 500, instanceTtlMs: 3000, connectTimeoutMs: 2000 }));
    await Promise.all(buses.map((bus) => bus.start()));
    try {
      const [x, y] = buses as [RedisBus, RedisBus];
      const keys = await x.redis.keys('wl:code:claim:*');
      expect(keys).toHaveLength(1);
      const value = String(await x.redis.get(keys[0]!));
      expect(value.startsWith('b.')).toBe(true);
      expect(`${keys[0]} ${value}`).not.toContain(code!);

      const key = Buffer.from('a key of this test only');
      const [onX, onY] = [new RedisCodeReservations(x, key, 'claim', 10), new RedisCodeReservations(y, key, 'claim', 10)];
      expect(await onX.reserve('123456', 5000)).toBe('ok');
      expect(await onY.reserve('123456', 5000)).toBe('taken');
      expect(await onX.reserve('123456', 5000)).toBe('ok'); // its own, again (after a reconnect)
      expect(await onY.holder('123456')).toBe('probe-x');
      onY.release('123456'); // not y's: nothing freed
      expect(await onY.reserve('123456', 5000)).toBe('taken');
      onX.release('123456');
      expect(await onY.reserve('123456', 5000)).toBe('ok');
      onY.release('123456');
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
      board.socket.close();
    }
  });
});

describe('Redis away', () => {
  it('a code held here is still claimed here; a code held on another instance gets a clear 503', async () => {
    const user = await registerUser(a.http);
    const onB = claimSocket(b, newDeviceId());
    const [codeOnB] = await until('claim code on B', () => onB.codes().length > 0 && onB.codes());
    await redis.stop();
    await until('A to see Redis away', async () => (await api(a.http, 'GET', '/api/health')).body.redis !== 'ok');
    const onA = claimSocket(a, newDeviceId());
    const [codeOnA] = await until('claim code on A', () => onA.codes().length > 0 && onA.codes());
    const started = performance.now();
    const far = await claim(a, user, codeOnB!);
    expect(far.status).toBe(503);
    expect(far.body.error).toBe('SERVICE_UNAVAILABLE');
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await claim(a, user, codeOnA!)).status).toBe(200);
    await until('credential on A', () => onA.frames.find((f) => f.type === 'credential'));
    await redis.run();
    // Back (a fresh Redis, no keys): B reserves its live code again, and it is claimed from A.
    for (const instance of [a, b]) await until(`${instance.name} to use Redis again`, async () => (await api(instance.http, 'GET', '/api/health')).body.redis === 'ok', 10_000, 100);
    await sleep(300);
    const back = await claim(a, user, codeOnB!);
    expect(back.status).toBe(200);
    await until('credential on B', () => onB.frames.find((f) => f.type === 'credential'));
  });
});
