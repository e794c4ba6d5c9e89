import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerDevice, registerUser, type TestUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe, connectClient, connectDevice } from './helpers/ws';

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;
const deviceToken = newDeviceToken();
let seq = 0;
const nextDeviceId = () => `WLA5${((process.pid & 0xfff) * 0x1000 + ++seq).toString(16).toUpperCase().padStart(6, '0')}`;

beforeAll(async () => {
  relay = await startRelay({ env: { ALLOWED_ORIGINS: 'https://app.example.com', DEVICE_LIMIT: '100' }, ws: { authTimeoutMs: 300 } });
  alice = await registerUser(relay.http);
  bob = await registerUser(relay.http);
});
afterAll(async () => relay.close());

describe('device socket /ws/{device_id}', () => {
  it('accepts the v1.0 JSON auth frame and answers the exact v1.0 welcome', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const { probe, welcome } = await connectDevice(relay.ws, id, alice.token);
    expect(welcome).toEqual({
      type: 'welcome', status: 'connected', device_id: id, protocol_version: '1.0', message: 'Device WebSocket connection established',
    });
    probe.close();
  });

  it('accepts X-API-Token header auth (and the firmware subprotocol "arduino") without an auth frame', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const probe = new WsProbe(`${relay.ws}/ws/${id}`, {
      // Sent as a raw header: the Arduino library offers it but, unlike `ws`, accepts no echo.
      headers: { 'X-API-Token': alice.token, 'X-Device-ID': id, 'Sec-WebSocket-Protocol': 'arduino' },
    });
    await probe.opened;
    expect((await probe.next()).type).toBe('welcome');
    // The firmware still sends its auth frame afterwards: ignored, no error frame.
    probe.send({ type: 'auth', token: alice.token });
    expect(await probe.nothingFor(150)).toBe(true);
    probe.close();
  });

  it('accepts Authorization: bearer header auth (scheme case-insensitive on WS, as v1.0)', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const probe = new WsProbe(`${relay.ws}/ws/${id}`, { headers: { Authorization: `bearer ${alice.token}` } });
    await probe.opened;
    expect((await probe.next()).device_id).toBe(id);
    probe.close();
  });

  it('v1.0 legacy path: with header auth, a data frame sent at once (no auth frame) is handled, not lost', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const probe = new WsProbe(`${relay.ws}/ws/${id}`, { headers: { 'X-API-Token': alice.token } });
    probe.socket.once('open', () => probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'legacy' })));
    await probe.opened;
    expect((await probe.next()).type).toBe('welcome');
    const pulled = await api(relay.http, 'POST', '/api/pull', { token: alice.token, body: { device_id: id, wait: 2 } });
    expect(pulled.body.count).toBe(1);
    probe.close();
  });

  it('permessage-deflate is never negotiated (CRIME/BREACH), though the ws client offers it', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const { probe } = await connectDevice(relay.ws, id, alice.token);
    expect(probe.socket.extensions).toBe('');
    probe.close();
  });

  it('a data frame first without any header token → AUTH_REQUIRED, close 1008', async () => {
    const id = nextDeviceId();
    const probe = new WsProbe(`${relay.ws}/ws/${id}`);
    await probe.opened;
    probe.send(responsePacket(deviceToken, id, { status: 'success' }));
    expect((await probe.next()).error).toBe('AUTH_REQUIRED');
    expect((await probe.closed).code).toBe(1008);
  });

  it('no auth within the timeout → v1.0 AUTH_REQUIRED frame, close 1008', async () => {
    const probe = new WsProbe(`${relay.ws}/ws/${nextDeviceId()}`);
    await probe.opened;
    expect(await probe.next()).toEqual({
      status: 'error', error: 'AUTH_REQUIRED', message: 'Authentication required. Send: {"type": "auth", "token": "<api_token>"}',
    });
    expect((await probe.closed).code).toBe(1008);
  });

  it('unknown token → INVALID_TOKEN frame, close 1008', async () => {
    const probe = new WsProbe(`${relay.ws}/ws/${nextDeviceId()}`);
    await probe.opened;
    probe.send({ type: 'auth', token: 'sk-' + 'A'.repeat(43) });
    expect(await probe.next()).toEqual({ status: 'error', error: 'INVALID_TOKEN', message: 'Invalid API token' });
    expect((await probe.closed).code).toBe(1008);
  });

  it('B15: another user\'s device is refused exactly like a missing one', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const foreign = new WsProbe(`${relay.ws}/ws/${id}`);
    await foreign.opened;
    foreign.send({ type: 'auth', token: bob.token });
    const missing = new WsProbe(`${relay.ws}/ws/${nextDeviceId()}`);
    await missing.opened;
    missing.send({ type: 'auth', token: bob.token });
    const [a, b] = [await foreign.next(), await missing.next()];
    expect(a).toEqual(b);
    expect(a.error).toBe('DEVICE_NOT_FOUND');
    expect((await foreign.closed).code).toBe(1008);
    expect((await missing.closed).code).toBe(1008);
  });

  it('B16: a packet claiming another device id is refused and the socket closed 1008', async () => {
    const id = nextDeviceId();
    const other = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    await registerDevice(relay.http, alice.token, other);
    const { probe } = await connectDevice(relay.ws, id, alice.token);
    probe.send(responsePacket(deviceToken, other, { status: 'success', request_id: 'x' }));
    expect((await probe.next()).error).toBe('DEVICE_ID_MISMATCH');
    expect((await probe.closed).code).toBe(1008);
  });

  it('F12: the newest connection replaces the older one (closed 4001) and gets the commands', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const first = await connectDevice(relay.ws, id, alice.token);
    const second = await connectDevice(relay.ws, id, alice.token);
    expect((await first.probe.closed).code).toBe(4001);
    const push = await api(relay.http, 'POST', '/api/push', { token: alice.token, body: commandPacket(deviceToken, id, 'ping', 'r1') });
    expect(push.body.delivered_via_ws).toBe(true);
    expect(open(deviceToken, await second.probe.next())).toMatchObject({ command: 'ping', request_id: 'r1' });
    second.probe.close();
  });

  it('B4: malformed JSON gets the v1.0 error frame and the connection keeps working', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const { probe } = await connectDevice(relay.ws, id, alice.token);
    probe.send('{not json');
    expect(await probe.next()).toEqual({ status: 'error', error: 'INVALID_JSON', message: 'Failed to parse JSON' });
    probe.send({ device_id: id, version: '1.0' });
    expect(await probe.next()).toEqual({ status: 'error', error: 'INVALID_PACKET', message: "Missing fields: ['payload', 'signature']" });
    probe.send({ ...responsePacket(deviceToken, id, { status: 'success' }), version: 1.0 });
    expect(await probe.next()).toEqual({ status: 'error', error: 'UNSUPPORTED_VERSION', message: 'Protocol version must be 1.0' });
    // Still alive: a real response is accepted and stored for pulling.
    probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'ok1' }));
    const pulled = await api(relay.http, 'POST', '/api/pull', { token: alice.token, body: { device_id: id, wait: 2 } });
    expect(pulled.body.count).toBe(1);
    probe.close();
  });

  it('B1: a frame over 64 KiB closes the socket with 1009', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const { probe } = await connectDevice(relay.ws, id, alice.token);
    probe.send('x'.repeat(64 * 1024 + 1));
    expect((await probe.closed).code).toBe(1009);
  });
});

describe('client socket /ws/client/{client_id}', () => {
  it('welcome, ACK and the bare response packet (v1.0 shapes), response decrypts to the request id', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const { probe: client, welcome } = await connectClient(relay.ws, `cli_${id}_0a1b2c3d`, alice.token);
    expect(welcome).toEqual({
      type: 'welcome', status: 'connected', client_id: `cli_${id}_0a1b2c3d`, protocol_version: '1.0', message: 'Client WebSocket connection established',
    });
    client.send(commandPacket(deviceToken, id, 'ping', 'abc12345'));
    const forwarded = await device.probe.next();
    expect(Object.keys(forwarded)).toEqual(['device_id', 'payload', 'signature', 'version']);
    expect(open(deviceToken, forwarded)).toMatchObject({ command: 'ping', request_id: 'abc12345' });
    device.probe.send(responsePacket(deviceToken, id, { status: 'success', message: 'pong', request_id: 'abc12345' }, 42));
    const frames = [await client.next(), await client.next()];
    const ack = frames.find((f) => f.status === 'success' && 'delivered' in f);
    const response = frames.find((f) => 'payload' in f);
    expect(ack).toEqual({ status: 'success', device_id: id, delivered: true, queued: false, message: 'Delivered to device' });
    expect(Object.keys(response)).toEqual(['device_id', 'payload', 'signature', 'request_counter', 'version']);
    expect(response.request_counter).toBe(42);
    expect(open(deviceToken, response)).toMatchObject({ status: 'success', request_id: 'abc12345' });
    client.close();
    device.probe.close();
  });

  it('ACK and response in either order: a device that answers instantly still reaches the client', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    // The fake device answers synchronously on receipt, racing the relay's ACK.
    device.probe.socket.on('message', (data) => {
      const inner = open(deviceToken, data.toString());
      device.probe.socket.send(JSON.stringify(responsePacket(deviceToken, id, { status: 'success', request_id: inner.request_id })));
    });
    const { probe: client } = await connectClient(relay.ws, 'c-either', alice.token);
    for (let i = 0; i < 5; i += 1) client.send(commandPacket(deviceToken, id, 'ping', `req${i}`));
    const frames = await Promise.all(Array.from({ length: 10 }, () => client.next()));
    const acks = frames.filter((f) => f.delivered === true);
    const ids = frames.filter((f) => 'payload' in f).map((f) => open(deviceToken, f).request_id).sort();
    expect(acks).toHaveLength(5);
    expect(ids).toEqual(['req0', 'req1', 'req2', 'req3', 'req4']);
    client.close();
    device.probe.close();
  });

  it('offline device: ACK says queued; after the device connects it gets welcome first, then the command', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const { probe: client } = await connectClient(relay.ws, 'c-offline', alice.token);
    client.send(commandPacket(deviceToken, id, 'wake', 'q1', { mac: 'AA:BB:CC:DD:EE:FF' }));
    expect(await client.next()).toEqual({ status: 'success', device_id: id, delivered: false, queued: true, message: 'Device offline, queued' });
    const device = await connectDevice(relay.ws, id, alice.token);
    expect(device.welcome.type).toBe('welcome');
    const queued = await device.probe.next();
    expect(open(deviceToken, queued)).toMatchObject({ command: 'wake', request_id: 'q1' });
    // The response of a queued command still finds the WS client that queued it.
    device.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'q1' }));
    expect(open(deviceToken, await client.next())).toMatchObject({ request_id: 'q1' });
    client.close();
    device.probe.close();
  });

  it('B15/S10: commands to another user\'s device are refused like a missing device; nothing is forwarded', async () => {
    const id = nextDeviceId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const { probe: mallory } = await connectClient(relay.ws, 'c-mallory', bob.token);
    mallory.send(commandPacket(deviceToken, id, 'restart', 'evil'));
    const refusedForeign = await mallory.next();
    mallory.send(commandPacket(deviceToken, nextDeviceId(), 'restart', 'evil'));
    const refusedMissing = await mallory.next();
    expect(refusedForeign).toEqual(refusedMissing);
    expect(refusedForeign).toEqual({ status: 'error', error: 'DEVICE_NOT_FOUND', message: 'Device not found or access denied' });
    expect(await device.probe.nothingFor(150)).toBe(true);
    // Connection keeps working for bob.
    expect(mallory.socket.readyState).toBe(mallory.socket.OPEN);
    mallory.close();
    device.probe.close();
  });

  it('validation errors use v1.0 client texts and keep the socket open', async () => {
    const { probe } = await connectClient(relay.ws, 'c-bad', alice.token);
    probe.send('[]');
    expect((await probe.next()).error).toBe('INVALID_JSON');
    probe.send({ device_id: 'WL1', version: '1.0' });
    expect(await probe.next()).toEqual({ status: 'error', error: 'INVALID_PACKET', message: "Missing: ['payload', 'signature']" });
    probe.send({ device_id: 'WL1', payload: 'zz', signature: 'a'.repeat(64), version: '1.0' });
    expect((await probe.next()).message).toBe('Invalid field: payload');
    probe.send({ device_id: 'WL1', payload: 'aa', signature: 'a'.repeat(64), version: '2.0' });
    expect((await probe.next()).error).toBe('UNSUPPORTED_VERSION');
    probe.close();
  });

  it('B21: a browser Origin outside the allowlist is refused at the handshake (403); listed origin passes', async () => {
    for (const origin of ['https://evil.example', 'null', 'https://app.example.com.evil.io']) {
      const probe = new WsProbe(`${relay.ws}/ws/client/c-origin`, { headers: { Origin: origin } });
      await expect(probe.opened).rejects.toThrow();
      expect(probe.unexpectedResponse).toBe(403);
    }
    const ok = new WsProbe(`${relay.ws}/ws/client/c-origin`, { headers: { Origin: 'https://app.example.com' } });
    await ok.opened;
    ok.send({ type: 'auth', token: alice.token });
    expect((await ok.next()).type).toBe('welcome');
    ok.close();
  });

  it('a JWT from /auth/login authenticates the WS auth frame too', async () => {
    const login = await api(relay.http, 'POST', '/auth/login', { body: { username: alice.username, password: alice.password } });
    const { welcome, probe } = await connectClient(relay.ws, 'c-jwt', login.body.access_token);
    expect(welcome.type).toBe('welcome');
    probe.close();
  });

  it('revoking an API token closes the sockets opened with it (1008)', async () => {
    const created = await api(relay.http, 'POST', '/api/tokens', { token: alice.token, body: { name: 'temp' } });
    const { probe } = await connectClient(relay.ws, 'c-revoke', created.body.token);
    const revoked = await api(relay.http, 'DELETE', `/api/tokens/${created.body.id}`, { token: alice.token });
    expect(revoked.status).toBe(200);
    expect((await probe.closed).code).toBe(1008);
  });

  it('unknown WS paths are refused with 404 before upgrading', async () => {
    const probe = new WsProbe(`${relay.ws}/ws/a/b/c`);
    await expect(probe.opened).rejects.toThrow();
    expect(probe.unexpectedResponse).toBe(404);
  });

  it('malformed ids in the URL (bad %-escapes, illegal characters) → 400, and the relay keeps serving', async () => {
    for (const path of ['/ws/%ZZ', '/ws/client/%E0%A4%A', `/ws/${'x'.repeat(65)}`, '/ws/a%20b']) {
      const probe = new WsProbe(`${relay.ws}${path}`);
      await expect(probe.opened).rejects.toThrow();
      expect(probe.unexpectedResponse).toBe(400);
    }
    expect((await api(relay.http, 'GET', '/api/health')).status).toBe(200);
  });
});
