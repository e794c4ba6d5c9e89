/**
 * Endpoints over REST (issue 13): register (boards as devices, others with an optional uuid and a
 * checked Ed25519/X25519 public key), list with live presence, rename, delete (closing the socket),
 * bounds, and ownership: another account's endpoint is exactly a missing one (B14/B15).
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectBoard, createEndpoint } from './helpers/routing';
import { WsProbe, connectClient } from './helpers/ws';

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  relay = await startRelay({ env: { ENDPOINTS_PER_ACCOUNT: '3' } });
  alice = await registerUser(relay.http);
  bob = await registerUser(relay.http);
});
afterAll(async () => relay.close());

const rawKey = (type: 'ed25519' | 'x25519') => generateKeyPairSync(type as 'ed25519').publicKey.export({ format: 'jwk' }).x!;

describe('endpoints REST API (issue 13)', () => {
  it('registers an app with a uuid and an Ed25519 key (base64 accepted, base64url returned); lists it with live presence; renames and clears the key', async () => {
    const key = rawKey('ed25519');
    const standardBase64 = Buffer.from(key, 'base64url').toString('base64');
    const created = await api(relay.http, 'POST', '/api/endpoints', {
      token: alice.token, body: { kind: 'app', name: ' Phone ', uuid: 'A1B2C3D4-0000-4000-8000-00000000000A', public_key: { type: 'ed25519', key: standardBase64 } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^ep_[0-9a-f]{20}$/), kind: 'app', name: 'Phone', uuid: 'a1b2c3d4-0000-4000-8000-00000000000a', device_id: null,
      public_key: { type: 'ed25519', key }, created_at: expect.any(String), last_seen: null, online: false, ephemeral: false,
    });
    const { probe } = await connectClient(relay.ws, 'a1b2c3d4-0000-4000-8000-00000000000a', alice.token);
    const listed = (await api(relay.http, 'GET', '/api/endpoints', { token: alice.token })).body.endpoints as any[];
    expect(listed.find((e) => e.id === created.body.id)).toMatchObject({ online: true, last_seen: expect.any(String) });
    probe.close();
    await probe.closed;
    await new Promise((r) => setTimeout(r, 50));
    expect((await api(relay.http, 'GET', `/api/endpoints/${created.body.id}`, { token: alice.token })).body.online).toBe(false);
    const renamed = await api(relay.http, 'PATCH', `/api/endpoints/${created.body.uuid}`, { token: alice.token, body: { name: 'Pixel', public_key: null } });
    expect(renamed.body).toMatchObject({ id: created.body.id, name: 'Pixel', public_key: null });
    const x = rawKey('x25519');
    expect((await api(relay.http, 'PATCH', `/api/endpoints/${created.body.id}`, { token: alice.token, body: { public_key: { type: 'x25519', key: x } } })).body.public_key).toEqual({ type: 'x25519', key: x });
    expect((await api(relay.http, 'DELETE', `/api/endpoints/${created.body.id}`, { token: alice.token })).body).toEqual({ status: 'deleted', id: created.body.id });
  });

  it('refuses what it cannot use, with a precise reason: bad keys, kinds, uuids, names, a taken uuid, the endpoint limit', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ kind: 'app', name: 'k', public_key: { type: 'ed25519', key: Buffer.alloc(31).toString('base64') } }, 400, 'public_key.key must be the 32-byte raw key in base64 or base64url'],
      // The Ed25519 identity point: 32 bytes, importable, but of small order.
      [{ kind: 'app', name: 'k', public_key: { type: 'ed25519', key: Buffer.from('01'.padEnd(64, '0'), 'hex').toString('base64url') } }, 400, 'public_key.key is not a usable ed25519 public key'],
      [{ kind: 'app', name: 'k', public_key: { type: 'x25519', key: Buffer.alloc(32).toString('base64url') } }, 400, 'public_key.key is not a usable x25519 public key'],
      [{ kind: 'app', name: 'k', public_key: { type: 'rsa', key: 'x' } }, 422, 'body.public_key.type: must be equal to one of the allowed values'],
      [{ kind: 'toaster', name: 'k' }, 422, 'body.kind: must be equal to one of the allowed values'],
      [{ kind: 'app', name: 'k', uuid: 'not-a-uuid' }, 422, 'body.uuid: must match pattern'],
      [{ kind: 'app', name: '' }, 422, 'body.name: must NOT have fewer than 1 characters'],
      [{ kind: 'app', name: 'n'.repeat(65) }, 422, 'body.name: must NOT have more than 64 characters'],
      [{ kind: 'board', name: 'b' }, 400, 'a board needs its device_id ("WL" + the chip id in upper-case hex)'],
      [{ kind: 'app', name: 'k', device_id: 'WL1234' }, 400, 'only boards have a device_id'],
      [{ kind: 'app', name: 'k', extra: 1 }, 422, 'unknown field `extra`'],
    ];
    for (const [body, status, detail] of cases) {
      const res = await api(relay.http, 'POST', '/api/endpoints', { token: alice.token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.detail, JSON.stringify(body)).toContain(detail);
    }
    await createEndpoint(relay.http, alice.token, { kind: 'cli', name: 'one', uuid: '00000000-0000-4000-8000-000000000001' });
    const taken = await api(relay.http, 'POST', '/api/endpoints', { token: alice.token, body: { kind: 'cli', name: 'two', uuid: '00000000-0000-4000-8000-000000000001' } });
    expect(taken).toMatchObject({ status: 409, body: { error: 'uuid_taken' } });
    // The same uuid in another account is fine: uuids are per account.
    await createEndpoint(relay.http, bob.token, { kind: 'cli', name: 'bobs', uuid: '00000000-0000-4000-8000-000000000001' });
    await createEndpoint(relay.http, alice.token, { kind: 'host', name: 'two' });
    await createEndpoint(relay.http, alice.token, { kind: 'browser', name: 'three' });
    const limit = await api(relay.http, 'POST', '/api/endpoints', { token: alice.token, body: { kind: 'app', name: 'four' } });
    expect(limit.body).toEqual({ error: 'endpoint_limit', detail: 'At most 3 endpoints besides boards (ENDPOINTS_PER_ACCOUNT)' });
    expect(limit.status).toBe(403);
  });

  it('a board is a device: registered through /api/endpoints or v1.0, renamed (the device name too), deleted with its device and socket', async () => {
    const created = await api(relay.http, 'POST', '/api/endpoints', { token: alice.token, body: { kind: 'board', name: 'Garage', device_id: 'WLE0A7' } });
    expect(created.body).toMatchObject({ kind: 'board', name: 'Garage', device_id: 'WLE0A7', online: false });
    const v1 = await connectBoard(relay, alice.token, 'WLE0A8');
    expect((await api(relay.http, 'GET', '/api/endpoints/WLE0A8', { token: alice.token })).body).toMatchObject({ id: v1.endpoint, kind: 'board', online: true });
    const renamed = await api(relay.http, 'PATCH', `/api/endpoints/${v1.endpoint}`, { token: alice.token, body: { name: 'Study' } });
    expect(renamed.body.name).toBe('Study');
    expect((await api(relay.http, 'PATCH', '/api/endpoints/WLE0A8', { token: alice.token, body: { public_key: { type: 'x25519', key: rawKey('x25519') } } })).status).toBe(400);
    const deleted = await api(relay.http, 'DELETE', '/api/endpoints/WLE0A8', { token: alice.token });
    expect(deleted.body).toEqual({ status: 'deleted', id: v1.endpoint });
    expect((await v1.probe.closed).code).toBe(4004);
    const devices = (await api(relay.http, 'GET', '/api/devices', { token: alice.token })).body.devices as any[];
    expect(devices.map((d) => d.device_id)).toEqual(['WLE0A7']);
  });

  it('a token in the URL is never a credential (headers or the first frame only), on HTTP and on WebSocket upgrades', async () => {
    const http = await api(relay.http, 'GET', `/api/endpoints?token=${alice.token}&api_token=${alice.token}`);
    expect(http).toMatchObject({ status: 401, body: { error: 'AUTH_REQUIRED' } });
    const probe = new WsProbe(`${relay.ws}/ws/client/url-token?token=${alice.token}`);
    await probe.opened;
    probe.send({ type: 'subscribe', endpoints: 'boards' });
    expect(await probe.next()).toMatchObject({ status: 'error', error: 'AUTH_REQUIRED' });
    expect((await probe.closed).code).toBe(1008);
  });

  it('B15: another account\'s endpoint answers exactly like a missing one on every route; deleting an endpoint closes its socket 4004', async () => {
    const mine = await createEndpoint(relay.http, bob.token, { kind: 'host', name: 'bob-host' });
    const missing = 'ep_0000000000000000000f';
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'x' }], ['DELETE', undefined]] as const) {
      const foreign = await api(relay.http, method, `/api/endpoints/${mine.id}`, { token: alice.token, body });
      const absent = await api(relay.http, method, `/api/endpoints/${missing}`, { token: alice.token, body });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ ...absent.body, detail: absent.body.detail.replace(missing, mine.id) });
    }
    const { probe } = await connectClient(relay.ws, mine.id, bob.token);
    expect((await api(relay.http, 'DELETE', `/api/endpoints/${mine.id}`, { token: bob.token })).status).toBe(200);
    expect((await probe.closed).code).toBe(4004);
    // Alice opening Bob's endpoint id as her client id just gets a connection-scoped endpoint of her own.
    const { welcome, probe: hers } = await connectClient(relay.ws, mine.id, alice.token);
    expect(welcome.endpoint).toBeUndefined();
    hers.close();
  });
});
