/**
 * History (issue 13): every routed frame of an account, newest first and paged, with metadata and
 * never a payload; v1.0 commands (WebSocket and HTTP) in it as the audit log of who sent what to
 * which board, when and from where; retention by count and age, configurable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken } from './helpers/packets';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { connectBoard, createEndpoint, expectFrame } from './helpers/routing';
import { connectClient } from './helpers/ws';

const deviceToken = newDeviceToken();
let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const history = async (token: string, query = '') => api(relay!.http, 'GET', `/api/history${query}`, { token });

describe('history and the audit log (issue 13)', () => {
  it('v1.0 commands over WebSocket and HTTP, a refused one, a command frame, a message, an event and a signal: each one entry, metadata only', async () => {
    relay = await startRelay();
    const alice = await registerUser(relay.http);
    const bob = await registerUser(relay.http);
    const board = await connectBoard(relay, alice.token, 'WLA0D17');
    await api(relay.http, 'POST', '/api/register_device', { token: bob.token, body: { device_id: 'WLB0B01' } });
    const phone = (await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone' })).id;
    const { probe: cli } = await connectClient(relay.ws, 'cli_WLA0D17_12345678', alice.token);
    const wsPacket = commandPacket(deviceToken, 'WLA0D17', 'wake', 'audit001', { mac: 'AA:BB:CC:DD:EE:FF' });
    cli.send(wsPacket);
    await cli.next();
    await board.probe.next();
    const pushed = await api(relay.http, 'POST', '/api/push', { token: alice.token, body: { ...commandPacket(deviceToken, 'WLA0D17', 'ping', 'audit002'), client_id: 'android-1' } });
    expect(pushed.status).toBe(200);
    cli.send(commandPacket(deviceToken, 'WLB0B01', 'wake', 'audit003'));
    expect(await cli.next()).toMatchObject({ status: 'error', error: 'DEVICE_NOT_FOUND' });
    const { probe: app } = await connectClient(relay.ws, phone, alice.token);
    app.send({ type: 'command', to: 'WLA0D17', id: 'c1', packet: commandPacket(deviceToken, 'WLA0D17', 'ping', 'audit004') });
    await expectFrame(app, 'ack');
    app.send({ type: 'message', to: phone, msgid: 'self-note', subject: 'to myself', content: { secret: 'never in history' } });
    await app.next();
    board.probe.send({ type: 'event', event: 'wake.confirmed', content: { sealed: 'never in history either' } });
    app.send({ type: 'offer', target_device_id: 'WLA0D17', payload: { type: 'offer', sdp: 'v=0' } });
    await app.next();

    const { body, status } = await history(alice.token);
    expect(status).toBe(200);
    const entries = body.entries as any[];
    const text = JSON.stringify(body);
    expect(text).not.toContain('never in history');
    expect(text).not.toContain(wsPacket.payload);
    const [signal, event, message, commandFrame, refused, httpPush, wsCommand] = entries;
    expect(wsCommand).toMatchObject({
      kind: 'command', to: board.endpoint, status: 'delivered', from: expect.stringMatching(/^ec_/),
      meta: { device_id: 'WLA0D17', via: 'ws', address: '127.0.0.1', client_id: 'cli_WLA0D17_12345678', format: 'v1.0', bytes: wsPacket.payload.length / 2, packet_ref: wsPacket.signature.slice(0, 16) },
    });
    expect(httpPush).toMatchObject({ kind: 'command', from: null, to: board.endpoint, status: 'delivered', meta: { via: 'http', client_id: 'android-1', address: '127.0.0.1' } });
    expect(refused).toMatchObject({ kind: 'command', to: null, status: 'DEVICE_NOT_FOUND', meta: { device_id: 'WLB0B01' } });
    expect(commandFrame).toMatchObject({ kind: 'command', from: phone, to: board.endpoint, status: 'delivered', meta: { format: 'command' } });
    expect(message).toMatchObject({ kind: 'message', from: phone, to: phone, status: 'delivered', meta: { msgid: 'self-note', subject: 'to myself', content_bytes: JSON.stringify({ secret: 'never in history' }).length } });
    expect(event).toMatchObject({ kind: 'event', from: board.endpoint, to: null, status: 'fanned_out', meta: { event: 'wake.confirmed', device_id: 'WLA0D17', recipients: 0 } });
    expect(signal).toMatchObject({ kind: 'signal', from: phone, to: board.endpoint, status: 'unsupported_target' });
    expect(entries).toHaveLength(7);
    expect(new Date(wsCommand.at).getTime()).toBeLessThanOrEqual(new Date(signal.at).getTime());
    // Bob's history does not show Alice's attempt on his device; ?endpoint= is per board and per account.
    expect((await history(bob.token)).body.entries).toEqual([]);
    const boardOnly = (await history(alice.token, '?endpoint=WLA0D17')).body.entries as any[];
    expect(boardOnly.map((e) => e.kind)).toEqual(['signal', 'event', 'command', 'command', 'command']);
    expect((await history(bob.token, `?endpoint=${board.endpoint}`)).status).toBe(404);
    expect((await history(alice.token, '?limit=0')).status).toBe(422);
    expect((await history(alice.token, '?limit=201')).status).toBe(422);
    [cli, app, board.probe].forEach((p) => p.close());
  });

  it('paging: newest first, 50 at a time by default, next_before until the end, no entry twice', async () => {
    relay = await startRelay({ env: { EVENTS_PER_SECOND: '10000', EVENT_BURST: '10000', WS_MESSAGES_PER_SECOND: '10000', WS_MESSAGE_BURST: '10000' } });
    const alice = await registerUser(relay.http);
    const { probe } = await connectClient(relay.ws, 'pager', alice.token);
    for (let i = 0; i < 120; i += 1) probe.send({ type: 'event', event: 'tick', content: i });
    probe.send({ type: 'ping', id: 'sync' });
    await expectFrame(probe, 'pong');
    const pages: any[][] = [];
    let before: number | null = null;
    do {
      const page: { body: { entries: any[]; next_before: number | null } } = await history(alice.token, before === null ? '' : `?before=${before}`);
      pages.push(page.body.entries);
      before = page.body.next_before;
    } while (before !== null);
    expect(pages.map((page) => page.length)).toEqual([50, 50, 20]);
    const ids = pages.flat().map((e) => e.id);
    expect(new Set(ids).size).toBe(120);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const small = await history(alice.token, '?limit=7');
    expect(small.body.entries).toHaveLength(7);
    expect(small.body.next_before).toBe(small.body.entries[6].id);
    probe.close();
  });

  it('retention: HISTORY_MAX_ENTRIES keeps the newest per account, HISTORY_MAX_AGE_SECONDS drops old ones at the sweep', async () => {
    const clock = new ManualClock(Date.now());
    relay = await startRelay({ clock, env: { HISTORY_MAX_ENTRIES: '20', HISTORY_MAX_AGE_SECONDS: '3600', EVENTS_PER_SECOND: '10000', EVENT_BURST: '10000', WS_MESSAGES_PER_SECOND: '10000', WS_MESSAGE_BURST: '10000' } });
    const alice = await registerUser(relay.http);
    const bob = await registerUser(relay.http);
    const { probe } = await connectClient(relay.ws, 'keeper', alice.token);
    const { probe: other } = await connectClient(relay.ws, 'other', bob.token);
    for (let i = 0; i < 60; i += 1) probe.send({ type: 'event', event: 'old', content: i });
    for (let i = 0; i < 5; i += 1) other.send({ type: 'event', event: 'bobs', content: i });
    probe.send({ type: 'ping' });
    await expectFrame(probe, 'pong');
    relay.app.router.sweep();
    const kept = (await history(alice.token, '?limit=200')).body.entries as any[];
    expect(kept).toHaveLength(20);
    expect(kept.every((e) => e.meta.event === 'old')).toBe(true);
    expect((await history(bob.token, '?limit=200')).body.entries).toHaveLength(5);
    clock.advance(3601_000);
    probe.send({ type: 'event', event: 'new', content: 'fresh' });
    probe.send({ type: 'ping' });
    await expectFrame(probe, 'pong');
    relay.app.router.sweep();
    expect(((await history(alice.token)).body.entries as any[]).map((e) => e.meta.event)).toEqual(['new']);
    expect((await history(bob.token)).body.entries).toEqual([]);
    probe.close();
    other.close();
  });
});
