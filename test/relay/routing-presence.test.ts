/**
 * The routing core end to end (issue 13), over real sockets on 127.0.0.1: two boards and three
 * clients of one account plus a client of another account. Presence and events reach every
 * subscribed client of the account and nothing else; a command from any client reaches the board;
 * a v1.0 client that never subscribes sees nothing new.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectBoard, connectSubscriber, createEndpoint, expectFrame } from './helpers/routing';
import { connectClient, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
let relay: RunningRelay;
let alice: TestUser;
let mallory: TestUser;
let appEndpoint: string;
let boardOneEndpoint: string;
const B1 = 'WLB10001';
const B2 = 'WLB10002';

beforeAll(async () => {
  relay = await startRelay({ env: { DEVICE_LIMIT: '10' } });
  alice = await registerUser(relay.http);
  mallory = await registerUser(relay.http);
  appEndpoint = (await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone' })).id;
  // B2 is registered but offline until its test connects it.
  await api(relay.http, 'POST', '/api/register_device', { token: alice.token, body: { device_id: B2 } });
  const board = await connectBoard(relay, alice.token, B1);
  boardOneEndpoint = board.endpoint;
  board.probe.close();
  await board.probe.closed;
});
afterAll(async () => relay.close());

/** Alice's three clients (subscribed to boards / to B1 only / to everything), a v1.0 client, and Mallory's client. */
async function audience() {
  const boards = await connectSubscriber(relay.ws, 'watch-boards', alice.token, 'boards');
  const app = await connectSubscriber(relay.ws, appEndpoint, alice.token, [B1]);
  const legacy = await connectClient(relay.ws, 'cli_WLB10001_0a1b2c3d', alice.token);
  // Last: '*' covers the other clients' own presence too.
  const everything = await connectSubscriber(relay.ws, 'watch-all', alice.token, '*');
  const other = await connectSubscriber(relay.ws, 'mallory-all', mallory.token, '*');
  const all = [boards.probe, app.probe, everything.probe, legacy.probe, other.probe];
  return { boards, app, everything, legacy, other, close: () => all.forEach((p) => p.close()) };
}

describe('presence and events to every subscribed client (issue 13)', () => {
  it('subscribing answers what the connection follows with live presence; another account\'s board looks exactly like a missing one', async () => {
    const { probe, subscribed } = await connectSubscriber(relay.ws, 'sub-check', alice.token, [B1, boardOneEndpoint]);
    expect(subscribed).toMatchObject({ type: 'subscribed', scopes: [], endpoints: [{ endpoint: boardOneEndpoint, device_id: B1, kind: 'board', online: false }] });
    expect(subscribed.self).toMatch(/^ec_[0-9a-f]{20}$/);
    const spy = await connectSubscriber(relay.ws, 'spy', mallory.token);
    for (const ref of [B1, boardOneEndpoint, 'WLFFFF01', 'ep_00000000000000000000']) {
      spy.probe.send({ type: 'subscribe', endpoints: [ref] });
      expect(await spy.probe.next()).toEqual({ type: 'error', error: 'endpoint_not_found', detail: `No endpoint ${ref} in your account; nothing was changed`, endpoint: ref });
    }
    // All or nothing: one unknown endpoint and the known one is not subscribed either.
    probe.send({ type: 'unsubscribe', endpoints: [B1] });
    expect((await expectFrame(probe, 'subscribed')).endpoints).toEqual([]);
    probe.send({ type: 'subscribe', endpoints: [B1, 'WLFFFF01'] });
    expect(await probe.next()).toMatchObject({ type: 'error', error: 'endpoint_not_found', endpoint: 'WLFFFF01' });
    probe.send({ type: 'subscribe', endpoints: 'boards', id: 'again' });
    expect(await expectFrame(probe, 'subscribed')).toMatchObject({ id: 'again', scopes: ['boards'] });
    probe.close();
    spy.probe.close();
  });

  it('a board coming online and going offline reaches all three subscribed clients of its account; the v1.0 client and the other account see nothing', async () => {
    const a = await audience();
    const board = await connectBoard(relay, alice.token, B1);
    for (const probe of [a.boards.probe, a.app.probe, a.everything.probe]) {
      expect(await expectFrame(probe, 'presence')).toEqual({ type: 'presence', endpoint: board.endpoint, device_id: B1, kind: 'board', online: true, timestamp: expect.any(Number) });
    }
    board.probe.close();
    for (const probe of [a.boards.probe, a.app.probe, a.everything.probe]) {
      expect(await expectFrame(probe, 'presence')).toMatchObject({ endpoint: board.endpoint, online: false });
    }
    // B2: the boards and '*' subscribers hear it; the app follows B1 only.
    const second = await connectBoard(relay, alice.token, B2);
    expect(await expectFrame(a.boards.probe, 'presence')).toMatchObject({ endpoint: second.endpoint, device_id: B2, online: true });
    expect(await expectFrame(a.everything.probe, 'presence')).toMatchObject({ endpoint: second.endpoint, online: true });
    second.probe.close();
    await second.probe.closed;
    expect(await expectFrame(a.boards.probe, 'presence')).toMatchObject({ endpoint: second.endpoint, online: false });
    expect(await expectFrame(a.everything.probe, 'presence')).toMatchObject({ endpoint: second.endpoint, online: false });
    expect(await a.app.probe.nothingFor(200)).toBe(true);
    expect(await a.legacy.probe.nothingFor(0)).toBe(true);
    expect(await a.other.probe.nothingFor(0)).toBe(true);
    a.close();
  });

  it('F12: a board that reconnects replaces its socket (4001) without an offline/online flicker', async () => {
    const { probe } = await connectSubscriber(relay.ws, 'flicker', alice.token, [B1]);
    const first = await connectBoard(relay, alice.token, B1);
    expect(await expectFrame(probe, 'presence')).toMatchObject({ online: true });
    const second = await connectBoard(relay, alice.token, B1);
    expect((await first.probe.closed).code).toBe(4001);
    expect(await probe.nothingFor(150)).toBe(true);
    second.probe.close();
    expect(await expectFrame(probe, 'presence')).toMatchObject({ online: false });
    probe.close();
  });

  it('a board\'s event (the firmware contract) reaches every subscriber exactly as sent; not the board, not the v1.0 client, not another account; events are no unsolicited replies (F8)', async () => {
    const a = await audience();
    const board = await connectBoard(relay, alice.token, B1);
    for (const probe of [a.boards.probe, a.app.probe, a.everything.probe]) await expectFrame(probe, 'presence');
    const sealed = responsePacket(deviceToken, B1, { target: 'desk', state: 'up', after_ms: 4200 }, 41);
    // More events than the unsolicited-reply budget (20): none is dropped, the socket stays open.
    const count = 25;
    for (let i = 0; i < count; i += 1) board.probe.send({ type: 'event', event: 'wake.confirmed', content: i === 0 ? sealed : { i } });
    for (const probe of [a.boards.probe, a.app.probe, a.everything.probe]) {
      const first = await expectFrame(probe, 'event');
      expect(first).toEqual({ type: 'event', from: board.endpoint, device_id: B1, event: 'wake.confirmed', content: sealed, timestamp: expect.any(Number) });
      // The client can still open the sealed envelope: the relay passed it on untouched.
      expect(open(deviceToken, first.content)).toMatchObject({ target: 'desk', state: 'up' });
      for (let i = 1; i < count; i += 1) expect((await expectFrame(probe, 'event')).content).toEqual({ i });
    }
    expect(await board.probe.nothingFor(100)).toBe(true);
    expect(await a.legacy.probe.nothingFor(0)).toBe(true);
    expect(await a.other.probe.nothingFor(0)).toBe(true);
    // The unsolicited budget is untouched: a reply with nothing in flight is still kept for a pull (F14).
    board.probe.send(responsePacket(deviceToken, B1, { status: 'success', request_id: 'late0001' }));
    const pulled = await api(relay.http, 'POST', '/api/pull', { token: alice.token, body: { device_id: B1, wait: 2 } });
    expect(pulled.body.count).toBe(1);
    board.probe.close();
    a.close();
  });

  it('any endpoint publishes events the same way; bad event frames get precise errors and the socket stays usable', async () => {
    const { probe: watcher } = await connectSubscriber(relay.ws, 'watch-app', alice.token, [appEndpoint]);
    const { probe: app } = await connectClient(relay.ws, appEndpoint, alice.token);
    expect(await expectFrame(watcher, 'presence')).toEqual({ type: 'presence', endpoint: appEndpoint, kind: 'app', online: true, timestamp: expect.any(Number) });
    app.send({ type: 'event', event: 'note', content: 'hello' });
    expect(await expectFrame(watcher, 'event')).toEqual({ type: 'event', from: appEndpoint, event: 'note', content: 'hello', timestamp: expect.any(Number) });
    const bad: [unknown, string, string][] = [
      [{ type: 'event', event: 'Bad Name', content: 1 }, 'invalid_frame', '`event` must be 1 to 64 characters of a-z 0-9 _ . -'],
      [{ type: 'event', event: 'x'.repeat(65), content: 1 }, 'invalid_frame', '`event` must be 1 to 64 characters of a-z 0-9 _ . -'],
      [{ type: 'event', event: 'ok' }, 'invalid_frame', '`content` is required (any JSON value; null for none)'],
      [{ type: 'event', event: 'ok', content: 1, to: 'x' }, 'invalid_frame', 'unknown field `to` in a event frame'],
      [{ type: 'event', event: 'ok', content: 'p'.repeat(5000) }, 'frame_too_large', '`content` is 5002 bytes as JSON; at most 4096 (EVENT_CONTENT_BYTES)'],
      [{ type: 'teleport' }, 'unknown_type', 'unknown frame type `teleport` (see /docs: subscribe, unsubscribe, event, message, ack, command, pair_request, pair_confirm, offer, answer, ice-candidate, ping)'],
    ];
    for (const [frame, error, detail] of bad) {
      app.send(frame);
      expect(await app.next()).toMatchObject({ type: 'error', error, detail });
    }
    expect(await watcher.nothingFor(100)).toBe(true);
    app.send({ type: 'ping', id: 'p1' });
    expect(await app.next()).toEqual({ type: 'pong', id: 'p1', timestamp: expect.any(Number) });
    app.close();
    watcher.close();
  });

  it('a command from any of the clients reaches the board and its reply returns to that client; an offline board is target_offline at once', async () => {
    const board = await connectBoard(relay, alice.token, B1);
    board.probe.socket.on('message', (data) => {
      const text = data.toString();
      if (!text.includes('"payload"')) return;
      const requestId = open(deviceToken, text).request_id as string;
      board.probe.send(responsePacket(deviceToken, B1, { status: 'success', result: 'pong', request_id: requestId }));
    });
    const clients: WsProbe[] = [];
    for (const id of ['cmd-a', 'cmd-b', appEndpoint]) clients.push((await connectClient(relay.ws, id, alice.token)).probe);
    for (const [i, client] of clients.entries()) {
      client.send({ type: 'command', to: i === 0 ? B1 : board.endpoint, id: `c${i}`, packet: commandPacket(deviceToken, B1, 'ping', `cmd0000${i}`) });
    }
    for (const [i, client] of clients.entries()) {
      const frames = [await client.next(), await client.next()].sort((x, y) => String(x.type).localeCompare(String(y.type)));
      expect(frames[0]).toEqual({ type: 'ack', of: 'command', id: `c${i}`, target_device_id: board.endpoint, device_id: B1, message: `Message delivered to ${board.endpoint}` });
      expect(frames[1]).toMatchObject({ type: 'response', from: board.endpoint, device_id: B1, id: `c${i}` });
      expect(open(deviceToken, frames[1].packet).request_id).toBe(`cmd0000${i}`);
    }
    board.probe.close();
    await board.probe.closed;
    clients[0]!.send({ type: 'command', to: B1, id: 'late', packet: commandPacket(deviceToken, B1, 'ping', 'offline1') });
    expect(await clients[0]!.next()).toEqual({ type: 'error', error: 'target_offline', detail: `Board ${board.endpoint} (${B1}) is not connected`, id: 'late', to: B1 });
    // Nothing was queued for it: the board reconnects to an empty queue.
    const again = await connectBoard(relay, alice.token, B1);
    expect(await again.probe.nothingFor(200)).toBe(true);
    clients[0]!.send({ type: 'command', to: appEndpoint, packet: commandPacket(deviceToken, B1, 'ping', 'notboard') });
    expect(await clients[0]!.next()).toMatchObject({ type: 'error', error: 'unsupported_target' });
    clients[1]!.send({ type: 'command', to: B1, packet: commandPacket(deviceToken, B2, 'ping', 'mismatch') });
    expect(await clients[1]!.next()).toMatchObject({ type: 'error', error: 'invalid_frame', detail: `\`packet.device_id\` must be the board's device id ${B1}` });
    const other = await connectClient(relay.ws, 'mallory-cmd', mallory.token);
    other.probe.send({ type: 'command', to: B1, packet: commandPacket(deviceToken, B1, 'ping', 'steal001') });
    expect(await other.probe.next()).toMatchObject({ type: 'error', error: 'endpoint_not_found', detail: `No endpoint ${B1} in your account` });
    expect(await again.probe.nothingFor(150)).toBe(true);
    [...clients, other.probe, again.probe].forEach((p) => p.close());
  });

  it('a v1.0 client that never subscribes gets exactly v1.0 frames: ACK and bare reply; messages and signaling to it are target_offline', async () => {
    const board = await connectBoard(relay, alice.token, B1);
    const { probe: legacy } = await connectClient(relay.ws, 'cli_WLB10001_ffff0000', alice.token);
    const listed = (await api(relay.http, 'GET', '/api/endpoints', { token: alice.token })).body.endpoints as any[];
    const legacyEndpoint = listed.find((e) => e.name === 'cli_WLB10001_ffff0000');
    expect(legacyEndpoint).toMatchObject({ kind: 'client', ephemeral: true, online: true });
    const { probe: sender } = await connectClient(relay.ws, appEndpoint, alice.token);
    sender.send({ type: 'message', to: legacyEndpoint.id, msgid: 'hello-v1', content: 'hi' });
    expect(await sender.next()).toMatchObject({ type: 'error', error: 'target_offline', msgid: 'hello-v1' });
    sender.send({ type: 'offer', target_device_id: legacyEndpoint.id, payload: { type: 'offer', sdp: 'v=0' } });
    expect(await sender.next()).toMatchObject({ type: 'error', error: 'target_offline' });
    board.probe.close();
    await board.probe.closed;
    legacy.send(commandPacket(deviceToken, B1, 'ping', 'v1legacy'));
    expect(await legacy.next()).toEqual({ status: 'success', device_id: B1, delivered: false, queued: true, message: 'Device offline, queued' });
    expect(await legacy.nothingFor(200)).toBe(true);
    legacy.close();
    sender.close();
  });
});
