/**
 * Claiming a board with a 6-digit code and its per-device credential (issue 14), end to end on a
 * real relay (port 0, SQLite file, real `ws` sockets): right, wrong, expired and reused codes; the
 * claimed board reconnecting as itself and commands flowing; the credential refused everywhere
 * else (every account API, client sockets, another device's socket: C5, B15); revocation and
 * re-claim (rotation) closing its socket within a second; a v1.0 board on the account token.
 */
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerDevice, registerUser, type TestUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe, connectClient, connectDevice } from './helpers/ws';

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;
const clock = new ManualClock(Date.now());
let seq = 0;
const nextDeviceId = () => `WLC1${((process.pid & 0xfff) * 0x1000 + ++seq).toString(16).toUpperCase().padStart(6, '0')}`;
const INVALID = { error: 'INVALID_CLAIM_CODE', detail: 'Invalid or expired claim code' };

beforeAll(async () => {
  // Generous budgets: this file is about the claim itself (claim-guessing.test.ts is about the budgets).
  relay = await startRelay({ clock, env: { DEVICE_LIMIT: '50', CLAIM_ATTEMPTS_PER_ACCOUNT: '1000', CLAIM_ATTEMPTS_PER_IP: '1000', CLAIM_ATTEMPTS_PER_MINUTE: '1000' } });
  alice = await registerUser(relay.http);
  bob = await registerUser(relay.http);
});
afterAll(() => relay.close());

/** A board with no credential: opens its claim socket and reads its code. */
async function claimingBoard(deviceId = nextDeviceId()): Promise<{ probe: WsProbe; deviceId: string; code: string; expires: number }> {
  const probe = new WsProbe(`${relay.ws}/ws/claim/${deviceId}`);
  await probe.opened;
  const frame = await probe.next();
  expect(frame).toMatchObject({ type: 'claim_code', expires_in_seconds: 600 });
  expect(frame.code).toMatch(/^\d{6}$/);
  return { probe, deviceId, code: frame.code, expires: frame.expires_in_seconds };
}

/** Claims the board as `user` and returns the credential the board received. */
async function claim(user: TestUser, board: { probe: WsProbe; code: string }, name?: string): Promise<{ credential: string; body: any }> {
  const res = await api(relay.http, 'POST', '/api/claim', { token: user.token, body: { code: board.code, ...(name === undefined ? {} : { name }) } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const frame = await board.probe.next();
  expect(Object.keys(frame)).toEqual(['type', 'credential']);
  expect(frame.type).toBe('credential');
  expect((await board.probe.closed).code).toBe(1000);
  return { credential: frame.credential, body: res.body };
}

/** The board reconnecting as itself, exactly as the firmware does: Bearer header plus the auth frame. */
async function boardSocket(deviceId: string, credential: string): Promise<{ probe: WsProbe; first: any }> {
  const probe = new WsProbe(`${relay.ws}/ws/${deviceId}`, { headers: { authorization: `Bearer ${credential}`, 'x-device-id': deviceId } });
  await probe.opened;
  probe.send({ type: 'auth', token: credential });
  return { probe, first: await probe.next() };
}

describe('claiming a board with its code', () => {
  it('a right code binds the board to the account, hands it its credential once, and the board reconnects as itself; commands flow (C5)', async () => {
    const board = await claimingBoard();
    const { credential, body } = await claim(alice, board, 'hall');
    expect(body).toMatchObject({ status: 'claimed', device_id: board.deviceId, name: 'hall', created: true });
    expect(body.endpoint).toMatch(/^ep_[0-9a-f]{20}$/);
    expect(credential).toMatch(/^dc_[A-Za-z0-9_-]{43}$/);
    expect(credential.startsWith(body.credential_prefix)).toBe(true);
    expect(JSON.stringify(body)).not.toContain(credential);
    // The device and its board endpoint exist, as the routing core expects.
    const endpoints = await api(relay.http, 'GET', '/api/endpoints', { token: alice.token });
    expect(endpoints.body.endpoints.find((e: any) => e.id === body.endpoint)).toMatchObject({ kind: 'board', device_id: board.deviceId, name: 'hall' });
    const listed = await api(relay.http, 'GET', '/api/credentials', { token: alice.token });
    expect(listed.body.devices.find((d: any) => d.device_id === board.deviceId)).toMatchObject({ uses_account_token: false, credential: { prefix: body.credential_prefix } });
    expect(JSON.stringify(listed.body)).not.toContain(credential);

    const { probe: device, first } = await boardSocket(board.deviceId, credential);
    expect(first).toMatchObject({ type: 'welcome', status: 'connected', device_id: board.deviceId });
    const deviceToken = newDeviceToken();
    const { probe: client } = await connectClient(relay.ws, `cli_${board.deviceId}_claim`, alice.token);
    client.send(commandPacket(deviceToken, board.deviceId, 'ping', 'claimed1'));
    const forwarded = await device.next();
    expect(open(deviceToken, forwarded)).toMatchObject({ command: 'ping', request_id: 'claimed1' });
    device.send(responsePacket(deviceToken, board.deviceId, { status: 'success', result: 'pong', request_id: 'claimed1' }));
    const frames = [await client.next(), await client.next()];
    expect(open(deviceToken, frames.find((f) => 'payload' in f))).toMatchObject({ result: 'pong', request_id: 'claimed1' });
    client.close();
    device.close();
  });

  it('a wrong, an expired, a reused and a malformed code all get the same INVALID_CLAIM_CODE and change nothing', async () => {
    const board = await claimingBoard();
    const wrong = board.code === '000000' ? '000001' : '000000';
    const before = (await api(relay.http, 'GET', '/api/devices', { token: alice.token })).body.devices.length;
    for (const code of [wrong, '12345', 'abcdef', '1234567', '']) {
      const res = await api(relay.http, 'POST', '/api/claim', { token: alice.token, body: { code } });
      if (code === '') expect(res.status).toBe(422);
      else expect(res.body, code).toEqual(INVALID);
    }
    expect(await board.probe.nothingFor(100)).toBe(true);
    // Reused: a claimed code is gone.
    await claim(alice, board);
    const reused = await api(relay.http, 'POST', '/api/claim', { token: bob.token, body: { code: board.code } });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual(INVALID);
    // Expired: past its ten minutes on the relay clock, the right code is refused the same way.
    const late = await claimingBoard();
    clock.advance(600_001);
    const expired = await api(relay.http, 'POST', '/api/claim', { token: alice.token, body: { code: late.code } });
    expect(expired.body).toEqual(INVALID);
    expect((await api(relay.http, 'GET', '/api/devices', { token: alice.token })).body.devices.length).toBe(before + 1);
    expect((await api(relay.http, 'GET', '/api/devices', { token: bob.token })).body.devices).toEqual([]);
    late.probe.close();
  });

  it('spaces and dashes in a typed code are ignored; a right code for another account\'s board is DEVICE_TAKEN and stays usable by nobody else', async () => {
    const board = await claimingBoard();
    const typed = `${board.code.slice(0, 3)} - ${board.code.slice(3)}`;
    await claim(bob, { ...board, code: typed });
    const again = await claimingBoard(board.deviceId);
    const taken = await api(relay.http, 'POST', '/api/claim', { token: alice.token, body: { code: again.code } });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('DEVICE_TAKEN');
    expect(await again.probe.nothingFor(100)).toBe(true);
    again.probe.close();
  });
});

describe('the device credential opens that one device socket and nothing else (C5, B15)', () => {
  let credential: string;
  let deviceId: string;
  let otherDevice: string;

  beforeAll(async () => {
    const board = await claimingBoard();
    ({ credential } = await claim(alice, board));
    deviceId = board.deviceId;
    otherDevice = nextDeviceId();
    await registerDevice(relay.http, alice.token, otherDevice);
  });

  it('every documented account API answers it 401 INVALID_TOKEN, exactly as an unknown token', async () => {
    const doc = (await api(relay.http, 'GET', '/docs/json')).body as { paths: Record<string, Record<string, { security?: unknown }>> };
    const operations = Object.entries(doc.paths).filter(([path]) => !path.startsWith('/ws/'))
      .flatMap(([path, methods]) => Object.entries(methods).filter(([, op]) => op.security).map(([method]) => ({ path, method: method.toUpperCase() })));
    expect(operations.length).toBeGreaterThan(20);
    for (const { path, method } of operations) {
      const url = path.replace('{device_id}', deviceId).replace('{id}', 'ep_00000000000000000000');
      const body = ['POST', 'PUT', 'DELETE', 'PATCH'].includes(method) ? { code: '123456', device_id: deviceId, name: 'x' } : undefined;
      for (const headers of [{ authorization: `Bearer ${credential}` }, { 'x-api-token': credential }] as Record<string, string>[]) {
        const res = await api(relay.http, method, url, { headers, body });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.body, `${method} ${path}`).toEqual({ error: 'INVALID_TOKEN', detail: 'Invalid API token' });
      }
    }
  });

  it('a client socket and another device\'s socket refuse it INVALID_TOKEN; its own device socket takes it', async () => {
    for (const path of [`/ws/client/cli_${deviceId}_x`, `/ws/${otherDevice}`]) {
      const probe = new WsProbe(`${relay.ws}${path}`);
      await probe.opened;
      probe.send({ type: 'auth', token: credential });
      expect(await probe.next(), path).toEqual({ status: 'error', error: 'INVALID_TOKEN', message: 'Invalid API token' });
      expect((await probe.closed).code, path).toBe(1008);
    }
    const { probe, first } = await boardSocket(deviceId, credential);
    expect(first).toMatchObject({ type: 'welcome', device_id: deviceId });
    probe.close();
    await probe.closed;
  });
});

describe('revoking and rotating a credential', () => {
  it('revocation tells the board CREDENTIAL_REVOKED and closes its socket within a second; the credential opens nothing afterwards', async () => {
    const board = await claimingBoard();
    const { credential } = await claim(alice, board);
    const { probe } = await boardSocket(board.deviceId, credential);
    const started = Date.now();
    const res = await api(relay.http, 'DELETE', `/api/devices/${board.deviceId}/credential`, { token: alice.token });
    expect(res.body).toEqual({ status: 'revoked', device_id: board.deviceId, sockets_closed: 1 });
    expect(await probe.next()).toEqual({ status: 'error', error: 'CREDENTIAL_REVOKED', message: 'Device credential revoked' });
    expect((await probe.closed).code).toBe(1008);
    expect(Date.now() - started).toBeLessThan(1000);
    const again = await boardSocket(board.deviceId, credential);
    expect(again.first).toEqual({ status: 'error', error: 'INVALID_TOKEN', message: 'Invalid API token' });
    // Nothing left to revoke; and nobody revokes another account's credential.
    expect((await api(relay.http, 'DELETE', `/api/devices/${board.deviceId}/credential`, { token: alice.token })).body.error).toBe('CREDENTIAL_NOT_FOUND');
    const listed = await api(relay.http, 'GET', '/api/credentials', { token: alice.token });
    expect(listed.body.devices.find((d: any) => d.device_id === board.deviceId)).toMatchObject({ uses_account_token: true, credential: null });
  });

  it('rotation is revoke + claim again: the board shows a new code, the owner enters it, the old credential\'s socket is closed and the new one works', async () => {
    const board = await claimingBoard();
    const first = await claim(alice, board);
    const { probe: oldSocket } = await boardSocket(board.deviceId, first.credential);
    // Re-claiming a board that still holds a credential (a second claim socket for it) replaces the credential.
    const reclaim = await claimingBoard(board.deviceId);
    const second = await claim(alice, reclaim);
    expect(second.body).toMatchObject({ created: false, device_id: board.deviceId });
    expect(second.credential).not.toBe(first.credential);
    expect(await oldSocket.next()).toMatchObject({ error: 'CREDENTIAL_REVOKED' });
    expect((await oldSocket.closed).code).toBe(1008);
    expect((await boardSocket(board.deviceId, first.credential)).first).toMatchObject({ error: 'INVALID_TOKEN' });
    const { probe, first: welcome } = await boardSocket(board.deviceId, second.credential);
    expect(welcome).toMatchObject({ type: 'welcome' });
    probe.close();
  });

  it('the history (audit log) records each claim, re-claim and revocation with the board, address and credential prefix, never the credential', async () => {
    const user = await registerUser(relay.http);
    const board = await claimingBoard();
    const first = await claim(user, board);
    const second = await claim(user, await claimingBoard(board.deviceId));
    expect((await api(relay.http, 'DELETE', `/api/devices/${board.deviceId}/credential`, { token: user.token })).status).toBe(200);
    const history = await api(relay.http, 'GET', '/api/history', { token: user.token });
    const changes = (history.body.entries as any[]).filter((e) => e.kind === 'credential');
    expect(changes.map((e) => e.status)).toEqual(['revoked', 'reclaimed', 'claimed']);
    for (const entry of changes) expect(entry.meta).toMatchObject({ device_id: board.deviceId, address: '127.0.0.1' });
    expect(changes[2].meta.credential_prefix).toBe(first.body.credential_prefix);
    expect(changes[1].meta.credential_prefix).toBe(second.body.credential_prefix);
    const text = JSON.stringify(history.body);
    expect(text).not.toContain(first.credential);
    expect(text).not.toContain(second.credential);
  });

  it('deleting the device deletes its credential', async () => {
    const board = await claimingBoard();
    const { credential } = await claim(alice, board);
    expect((await api(relay.http, 'POST', '/api/delete_device', { token: alice.token, body: { device_id: board.deviceId } })).status).toBe(200);
    expect((await boardSocket(board.deviceId, credential)).first).toMatchObject({ error: 'INVALID_TOKEN' });
  });
});

describe('v1.0 boards on the account token keep working', () => {
  it('registered by id, authenticated with the account API token, listed as using an account token', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const { probe, welcome } = await connectDevice(relay.ws, id, alice.token);
    expect(welcome).toMatchObject({ type: 'welcome', device_id: id });
    const listed = await api(relay.http, 'GET', '/api/credentials', { token: alice.token });
    expect(listed.body.devices.find((d: any) => d.device_id === id)).toEqual({ device_id: id, name: 'test', online: true, uses_account_token: true, credential: null });
    probe.close();
  });
});

describe('/docs describes the claim socket and its frames as the relay speaks them', () => {
  it('/ws/claim/{device_id} with its refusals; real claim_code, credential and CREDENTIAL_REVOKED frames validate with no undocumented field', async () => {
    const doc = (await api(relay.http, 'GET', '/docs/json')).body;
    const op = doc.paths['/ws/claim/{device_id}'].get;
    for (const status of ['101', '400', '403', '404', '429', '503']) expect(op.responses[status], status).toBeDefined();
    expect(op['x-websocket-frames'].relaySends.map((r: any) => r.$ref.split('/').pop())).toEqual(['WsClaimCode', 'WsCredential']);
    for (const path of ['/api/claim', '/api/credentials', '/api/devices/{device_id}/credential']) expect(doc.paths[path], path).toBeDefined();
    const schemas = structuredClone(doc.components.schemas);
    for (const schema of Object.values(schemas) as any[]) if (schema.type === 'object' && schema.properties) schema.additionalProperties = false;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: { schemas } });
    const check = (name: string, frame: unknown) => {
      const validate = ajv.getSchema(`doc#/components/schemas/${name}`)!;
      expect(validate(frame), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    };
    const probe = new WsProbe(`${relay.ws}/ws/claim/${nextDeviceId()}`);
    const codeFrame = await probe.next();
    check('WsClaimCode', codeFrame);
    const res = await api(relay.http, 'POST', '/api/claim', { token: alice.token, body: { code: codeFrame.code } });
    const credentialFrame = await probe.next();
    check('WsCredential', credentialFrame);
    const { probe: device } = await boardSocket(res.body.device_id, credentialFrame.credential);
    await api(relay.http, 'DELETE', `/api/devices/${res.body.device_id}/credential`, { token: alice.token });
    const revoked = await device.next();
    check('WsErrorFrame', revoked);
    expect(schemas.WsErrorFrame.properties.error.description).toContain('CREDENTIAL_REVOKED');
    expect(op.description).toContain('CLAIM_SOCKET_TIMEOUT_SECONDS');
  });
});
