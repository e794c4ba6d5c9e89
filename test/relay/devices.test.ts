import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerDevice, registerUser, type TestUser } from './helpers/http';
import { newDeviceToken } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectDevice } from './helpers/ws';

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;
let seq = 0;
const nextId = () => `WLD5${((process.pid & 0xfff) * 0x1000 + ++seq).toString(16).toUpperCase().padStart(6, '0')}`;

beforeAll(async () => {
  relay = await startRelay({ env: { DEVICE_LIMIT: '3' } });
  alice = await registerUser(relay.http);
  bob = await registerUser(relay.http);
});
afterAll(async () => relay.close());

describe('v1.0 device routes (spec 4.6)', () => {
  it('register_device: v1.0 reply without any device_token; re-registering your own is fine', async () => {
    const id = nextId();
    const token = newDeviceToken();
    const body = { device_id: id, device_data: { name: 'desk', device_token: token } };
    const first = await api(relay.http, 'POST', '/api/register_device', { token: alice.token, body });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'device_registered', device_id: id, mode: 'cloud' });
    const again = await api(relay.http, 'POST', '/api/register_device', { token: alice.token, body });
    expect(again.status).toBe(200);
    // Without device_data at all (optional in v1.0).
    const bare = await api(relay.http, 'POST', '/api/register_device', { token: alice.token, body: { device_id: nextId() } });
    expect(bare.status).toBe(200);
  });

  it('B11: another user\'s device id → 409 (not 500); the limit → 403 "Device limit: maximum N" after the own-device check', async () => {
    const carol = await registerUser(relay.http);
    const ids = [nextId(), nextId(), nextId()];
    for (const id of ids) await registerDevice(relay.http, carol.token, id);
    const taken = await api(relay.http, 'POST', '/api/register_device', { token: bob.token, body: { device_id: ids[0] } });
    expect(taken.status).toBe(409);
    const overLimit = await api(relay.http, 'POST', '/api/register_device', { token: carol.token, body: { device_id: nextId() } });
    expect(overLimit.status).toBe(403);
    expect(overLimit.body.detail).toBe('Device limit: maximum 3');
    // At the limit, re-registering an own device still works (v1.0 answered 403 here).
    const own = await api(relay.http, 'POST', '/api/register_device', { token: carol.token, body: { device_id: ids[1] } });
    expect(own.status).toBe(200);
  });

  it('GET /api/devices: v1.0 shape, online reflects a live socket, no tokens in output', async () => {
    const dana = await registerUser(relay.http);
    const id = nextId();
    const deviceToken = newDeviceToken();
    await registerDevice(relay.http, dana.token, id, deviceToken);
    const offline = await api(relay.http, 'GET', '/api/devices', { token: dana.token });
    expect(offline.body).toMatchObject({ user: dana.username, plan: 'basic', devices_limit: 3, devices_count: 1 });
    expect(Object.keys(offline.body.devices[0]).sort()).toEqual(['added', 'cloud', 'device_id', 'last_seen', 'online', 'poll_count']);
    expect(offline.body.devices[0]).toMatchObject({ device_id: id, cloud: true, online: false, poll_count: 0 });
    expect(offline.body.devices[0].added).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const { probe } = await connectDevice(relay.ws, id, dana.token);
    const online = await api(relay.http, 'GET', '/api/devices', { token: dana.token });
    expect(online.body.devices[0].online).toBe(true);
    expect(online.body.devices[0].last_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(JSON.stringify(online.body)).not.toContain(deviceToken);
    probe.close();
  });

  it('device/create, GET device/?device_id=, device/update, device/delete with v1.0 shapes', async () => {
    const erin = await registerUser(relay.http);
    const id = nextId();
    const token = newDeviceToken();
    const created = await api(relay.http, 'POST', '/api/device/create', { token: erin.token, body: { device_id: id, device_token: token } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ status: 'ok', device_id: id });
    const noToken = await api(relay.http, 'POST', '/api/device/create', { token: erin.token, body: { device_id: id } });
    expect(noToken.status).toBe(400);
    expect(noToken.body.detail).toBe('device_id and device_token required');
    // v1.0 re-wraps create failures as 400 with a text (it used the exception text; ours is clear).
    const foreign = await api(relay.http, 'POST', '/api/device/create', { token: bob.token, body: { device_id: id, device_token: token } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.detail).toBe('Device id is registered to another account');
    const got = await api(relay.http, 'GET', `/api/device/?device_id=${id}`, { token: erin.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ device_id: id, cloud: true, last_seen: null });
    const updated = await api(relay.http, 'PUT', '/api/device/update', { token: erin.token, body: { device_id: id, device_token: newDeviceToken(), version: '2' } });
    expect(updated.body).toEqual({ status: 'ok', device_id: id });
    const deleted = await api(relay.http, 'DELETE', '/api/device/delete', { token: erin.token, body: { device_id: id, device_token: 'x' } });
    expect(deleted.body).toEqual({ status: 'device_deleted', device_id: id });
    const gone = await api(relay.http, 'GET', `/api/device/?device_id=${id}`, { token: erin.token });
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toBe('device not found');
  });

  it('delete_device: v1.0 reply; the CLI\'s {"device_token"} body → 422; the device socket is closed', async () => {
    const fay = await registerUser(relay.http);
    const id = nextId();
    await registerDevice(relay.http, fay.token, id);
    const { probe } = await connectDevice(relay.ws, id, fay.token);
    const cli = await api(relay.http, 'POST', '/api/delete_device', { token: fay.token, body: { device_token: 'abc' } });
    expect(cli.status).toBe(422);
    expect(cli.body.errors[0]).toEqual({ loc: ['body', 'device_id'], msg: 'field required', type: 'value_error.missing' });
    const res = await api(relay.http, 'POST', '/api/delete_device', { token: fay.token, body: { device_id: id } });
    expect(res.body).toEqual({ status: 'device_deleted', message: `Device ${id} deleted` });
    expect((await probe.closed).code).toBe(4004);
    const again = await api(relay.http, 'POST', '/api/delete_device', { token: fay.token, body: { device_id: id } });
    expect(again.status).toBe(404);
    expect(again.body.detail).toBe('Device not found or access denied');
  });

  it('B15: another user\'s device looks exactly like a missing one on every device route, and nothing changes', async () => {
    const id = nextId();
    const missing = nextId();
    await registerDevice(relay.http, alice.token, id);
    const pairs: [string, string, (d: string) => unknown][] = [
      ['POST', '/api/delete_device', (d) => ({ device_id: d })],
      ['PUT', '/api/device/update', (d) => ({ device_id: d, device_token: 't' })],
      ['DELETE', '/api/device/delete', (d) => ({ device_id: d, device_token: 't' })],
    ];
    for (const [method, path, body] of pairs) {
      const foreign = await api(relay.http, method, path, { token: bob.token, body: body(id) });
      const absent = await api(relay.http, method, path, { token: bob.token, body: body(missing) });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual(absent.body);
    }
    const foreignGet = await api(relay.http, 'GET', `/api/device/?device_id=${id}`, { token: bob.token });
    const absentGet = await api(relay.http, 'GET', `/api/device/?device_id=${missing}`, { token: bob.token });
    expect(foreignGet.body).toEqual(absentGet.body);
    const still = await api(relay.http, 'GET', `/api/device/?device_id=${id}`, { token: alice.token });
    expect(still.status).toBe(200);
  });
});

describe('HTTP edges (B2, B5, B29)', () => {
  it('unknown route 404, wrong method 405 (GET /api/pull as v1.0), oversize body 413, bad JSON 422, no content-type 415', async () => {
    expect((await api(relay.http, 'GET', '/nope')).status).toBe(404);
    const get = await api(relay.http, 'GET', '/api/pull', { token: alice.token });
    expect(get.status).toBe(405);
    expect(get.body).toEqual({ error: 'METHOD_NOT_ALLOWED', detail: 'Method Not Allowed' });
    const big = await api(relay.http, 'POST', '/api/push', { token: alice.token, rawBody: JSON.stringify({ device_id: 'x', payload: 'a'.repeat(20_000) }) });
    expect(big.status).toBe(413);
    const broken = await api(relay.http, 'POST', '/api/push', { token: alice.token, rawBody: '{"device_id": ' });
    expect(broken.status).toBe(422);
    const poisoned = await api(relay.http, 'POST', '/api/register_device', { token: alice.token, rawBody: '{"device_id":"WLAAA","__proto__":{"admin":true}}' });
    expect(poisoned.status).toBe(422);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const noType = await fetch(`${relay.http}/api/push`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/xml' }, body: '<a/>' });
    expect(noType.status).toBe(415);
  });

  it('/api/health: v1.0 fields plus database and connection counts, no auth', async () => {
    const res = await api(relay.http, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'healthy', service: 'WakeLink Cloud Relay', database: 'ok' });
    expect(typeof res.body.websockets).toBe('number');
    expect(typeof res.body.devices_connected).toBe('number');
    expect(typeof res.body.clients_connected).toBe('number');
  });

  it('/api/stats requires auth (S16) and answers the v1.0 fields', async () => {
    expect((await api(relay.http, 'GET', '/api/stats')).status).toBe(401);
    const res = await api(relay.http, 'GET', '/api/stats', { token: alice.token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'online_devices', 'queues_to_client', 'queues_to_device', 'server_time', 'status', 'total_devices', 'total_queues', 'total_users', 'websocket_connections',
    ].sort());
  });

  it('/docs serves the OpenAPI UI and document listing the v1.0 routes', async () => {
    const ui = await fetch(`${relay.http}/docs`);
    expect(ui.status).toBe(200);
    const doc = await api(relay.http, 'GET', '/docs/json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/push', '/api/pull', '/api/register_device', '/auth/login', '/api/tokens']));
  });
});
