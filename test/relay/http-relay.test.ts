import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerDevice, registerUser, type TestUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice } from './helpers/ws';

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;
const deviceToken = newDeviceToken();
let seq = 0;
const nextId = () => `WL47${((process.pid & 0xfff) * 0x1000 + ++seq).toString(16).toUpperCase().padStart(6, '0')}`;

beforeAll(async () => {
  relay = await startRelay({ env: { DEVICE_LIMIT: '100' } });
  alice = await registerUser(relay.http);
  bob = await registerUser(relay.http);
});
afterAll(async () => relay.close());

const push = (token: string, body: unknown) => api(relay.http, 'POST', '/api/push', { token, body });
const pull = (token: string, body: unknown, query = '') => api(relay.http, 'POST', `/api/pull${query}`, { token, body });

describe('POST /api/push and /api/pull (spec 4.5)', () => {
  it('online device: push forwards live (v1.0 reply); the response is pulled in the v1.0 message shape', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    // The CLI adds client_id and omits version: both fine.
    const { version: _v, ...packet } = commandPacket(deviceToken, id, 'info', 'h1');
    const res = await push(alice.token, { ...packet, client_id: 'cli_x' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', device_id: id, delivered_via_ws: true, queued: false, messages: null, count: 0 });
    expect(open(deviceToken, await device.probe.next())).toMatchObject({ command: 'info', request_id: 'h1' });
    const reply = responsePacket(deviceToken, id, { status: 'success', request_id: 'h1' });
    device.probe.send(reply);
    const pulled = await pull(alice.token, { device_id: id, wait: 5 });
    expect(pulled.status).toBe(200);
    expect(pulled.body).toMatchObject({ status: 'ok', device_id: id, delivered_via_ws: false, count: 1 });
    const [message] = pulled.body.messages;
    expect(Object.keys(message)).toEqual(['device_id', 'message_type', 'packet', 'payload', 'signature', 'direction', 'timestamp']);
    expect(message).toMatchObject({ device_id: id, message_type: 'response', packet: reply.payload, payload: reply.payload, signature: reply.signature, direction: 'to_client' });
    expect(message.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    // Pull deletes what it returned.
    expect((await pull(alice.token, { device_id: id })).body.count).toBe(0);
    device.probe.close();
  });

  it('replies go straight to waiting long polls, oldest waiter first, and are not left in storage', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const first = pull(alice.token, { device_id: id, wait: 10 });
    await new Promise((r) => setTimeout(r, 150));
    const second = pull(alice.token, { device_id: id, wait: 10 });
    await new Promise((r) => setTimeout(r, 150));
    const replyA = responsePacket(deviceToken, id, { status: 'success', request_id: 'ha' });
    const replyB = responsePacket(deviceToken, id, { status: 'success', request_id: 'hb' });
    device.probe.send(replyA);
    device.probe.send(replyB);
    const [a, b] = await Promise.all([first, second]);
    expect(a.body.messages.map((m: { payload: string }) => m.payload)).toEqual([replyA.payload]);
    expect(b.body.messages.map((m: { payload: string }) => m.payload)).toEqual([replyB.payload]);
    expect(relay.app.store.countResponses(alice.id)).toBe(0);
    expect((await pull(alice.token, { device_id: id })).body.count).toBe(0);
    device.probe.close();
  });

  it('a long poll whose caller hangs up is released: the next reply is kept for the next pull, not handed to the dropped one', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const hangUp = new AbortController();
    const dropped = fetch(`${relay.http}/api/pull`, {
      method: 'POST', signal: hangUp.signal,
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: id, wait: 10 }),
    });
    await new Promise((r) => setTimeout(r, 200)); // the relay is waiting for a reply now
    hangUp.abort();
    await expect(dropped).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200)); // and has seen the connection close
    const reply = responsePacket(deviceToken, id, { status: 'success', request_id: 'hangup' });
    device.probe.send(reply);
    const next = await pull(alice.token, { device_id: id, wait: 5 });
    expect(next.body.messages.map((m: { payload: string }) => m.payload)).toEqual([reply.payload]);
    device.probe.close();
  });

  it('a reply sent on a deleted device\'s socket while it closes is dropped, never kept for the id\'s next owner', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    expect((await api(relay.http, 'POST', '/api/delete_device', { token: alice.token, body: { device_id: id } })).status).toBe(200);
    device.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'late' }));
    expect((await device.probe.closed).code).toBe(4004);
    await registerDevice(relay.http, bob.token, id);
    expect((await pull(bob.token, { device_id: id })).body.count).toBe(0);
  });

  it('long poll wakes promptly when the response is stored (event-driven, not a polling loop)', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const started = Date.now();
    const pending = pull(alice.token, { device_id: id, wait: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const sentAt = Date.now();
    device.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'lp' }));
    const res = await pending;
    const wokeAfter = Date.now() - sentAt;
    expect(res.body.count).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(wokeAfter).toBeLessThan(150);
    device.probe.close();
  });

  it('?wait= in the query works too, and an empty long poll returns after the wait with count 0', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const started = Date.now();
    const res = await pull(alice.token, { device_id: id }, '?wait=0.4');
    const took = Date.now() - started;
    expect(res.body).toEqual({ status: 'ok', device_id: id, delivered_via_ws: false, messages: [], count: 0 });
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(3000);
  });

  it('S10/B15: another user cannot push to or pull from my device (404 like a missing device); nothing reaches it', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    device.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'secret' }));
    await new Promise((r) => setTimeout(r, 100));
    const foreignPush = await push(bob.token, commandPacket(deviceToken, id, 'restart', 'evil'));
    const missingPush = await push(bob.token, commandPacket(deviceToken, nextId(), 'restart', 'evil'));
    expect(foreignPush.status).toBe(404);
    expect(foreignPush.body).toEqual(missingPush.body);
    const foreignPull = await pull(bob.token, { device_id: id });
    const missingPull = await pull(bob.token, { device_id: nextId() });
    expect(foreignPull.status).toBe(404);
    expect(foreignPull.body).toEqual(missingPull.body);
    expect(await device.probe.nothingFor(150)).toBe(true);
    // Alice's stored response was not drained by bob.
    expect((await pull(alice.token, { device_id: id })).body.count).toBe(1);
    device.probe.close();
  });

  it('push validation: 422 for missing fields, 400 for bad hex / wrong version / direction, 413 beyond one 1 KiB device frame', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    expect((await push(alice.token, { device_id: id })).status).toBe(422);
    const good = commandPacket(deviceToken, id, 'ping', 'v');
    expect((await push(alice.token, { ...good, payload: 'xyz' })).status).toBe(400);
    expect((await push(alice.token, { ...good, version: '2.0' })).status).toBe(400);
    expect((await push(alice.token, { ...good, direction: 'to_client' })).status).toBe(400);
    // A legal v1.0 packet (plaintext 480 bytes) whose device frame would exceed 1 KiB (F17).
    const big = commandPacket(deviceToken, id, 'ping', 'big', { pad: 'p'.repeat(420) });
    const res = await push(alice.token, big);
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('PACKET_TOO_LARGE');
  });
});

describe('response routing (FIFO per device across WS and HTTP senders)', () => {
  it('responses go to the sender of the matching outstanding command: WS client, then HTTP, then WS', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const first = await connectClient(relay.ws, 'route-a', alice.token);
    const second = await connectClient(relay.ws, 'route-b', alice.token);
    first.probe.send(commandPacket(deviceToken, id, 'ping', 'A'));
    await device.probe.next();
    await push(alice.token, commandPacket(deviceToken, id, 'ping', 'H'));
    await device.probe.next();
    second.probe.send(commandPacket(deviceToken, id, 'ping', 'B'));
    await device.probe.next();
    for (const rid of ['A', 'H', 'B']) device.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: rid }));
    const framesA = [await first.probe.next(), await first.probe.next()];
    const framesB = [await second.probe.next(), await second.probe.next()];
    const packetOf = (frames: any[]) => frames.find((f) => 'payload' in f);
    expect(open(deviceToken, packetOf(framesA)).request_id).toBe('A');
    expect(open(deviceToken, packetOf(framesB)).request_id).toBe('B');
    const pulled = await pull(alice.token, { device_id: id, wait: 2 });
    expect(pulled.body.count).toBe(1);
    expect(open(deviceToken, { ...pulled.body.messages[0], version: '1.0' }).request_id).toBe('H');
    expect(await first.probe.nothingFor(100)).toBe(true);
    [first, second, device].forEach((c) => c.probe.close());
  });

  it('F5: a WS client that left before the reply → the reply is kept for HTTP pulling', async () => {
    const id = nextId();
    await registerDevice(relay.http, alice.token, id);
    const device = await connectDevice(relay.ws, id, alice.token);
    const client = await connectClient(relay.ws, 'route-gone', alice.token);
    client.probe.send(commandPacket(deviceToken, id, 'ping', 'G'));
    await device.probe.next();
    await client.probe.next(); // ACK
    client.probe.close();
    await client.probe.closed;
    device.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'G' }));
    const pulled = await pull(alice.token, { device_id: id, wait: 2 });
    expect(pulled.body.count).toBe(1);
    device.probe.close();
  });
});
