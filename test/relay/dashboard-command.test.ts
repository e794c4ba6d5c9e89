/**
 * POST /dashboard/command (issue 16) over real HTTP against a real relay and a board socket: the
 * page's sealed command goes through the routing core as if its live stream were a client socket,
 * and the answers come back on that stream. Authenticated by the dashboard session and its CSRF
 * token in a header; JSON only; bounded; a stream of another session is not found; a refused
 * request reaches no board.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../shared/index';
import { CookieBrowser, liveStream, type LiveStream } from './helpers/dashboard-session';
import { api } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
const BOARD = 'WLC0DE16';
const OFFLINE = 'WLC0DE17';
let relay: RunningRelay;
let alice: CookieBrowser;
let aliceCsrf: string;
let aliceApiToken: string;
let board: WsProbe;
let live: LiveStream;
let self: string;

const post = (browser: CookieBrowser, body: unknown, headers: Record<string, string> = {}) =>
  browser.request('POST', '/dashboard/command', { json: body, headers });
const frame = (id: string, to = BOARD, packet: Envelope = commandPacket(deviceToken, to, 'ping', id)) => ({ type: 'command', id, to, packet });

beforeAll(async () => {
  relay = await startRelay();
  alice = new CookieBrowser(relay.http);
  const { csrf, apiToken } = await alice.register(`cmd${process.pid}`);
  aliceCsrf = csrf;
  aliceApiToken = apiToken;
  for (const id of [BOARD, OFFLINE]) await api(relay.http, 'POST', '/api/register_device', { token: apiToken, body: { device_id: id } });
  board = (await connectDevice(relay.ws, BOARD, apiToken)).probe;
  live = await liveStream(relay.http, alice);
  self = (await live.next((f) => f.type === 'subscribed')).self;
  expect(self).toMatch(/^ec_/);
});
afterAll(async () => {
  live?.close();
  board?.close();
  await relay?.close();
});

describe('dashboard commands (issue 16)', () => {
  it('a sealed command from the stream reaches the board unchanged; the relay\'s ack and the board\'s sealed reply come back on the stream by id', async () => {
    const sent = frame('c1');
    const accepted = await post(alice, { stream: self, frame: sent }, { 'x-csrf-token': aliceCsrf });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ accepted: true, stream: self });
    // The board gets exactly the packet the page sealed: the relay routed it without opening it.
    expect(await board.next()).toEqual(sent.packet);
    board.send(responsePacket(deviceToken, BOARD, { status: 'success', result: 'pong', request_id: 'c1' }));
    expect(await live.next((f) => f.id === 'c1')).toMatchObject({ type: 'ack', of: 'command', id: 'c1', device_id: BOARD });
    const response = await live.next((f) => f.id === 'c1');
    expect(response).toMatchObject({ type: 'response', id: 'c1', device_id: BOARD });
    expect(open(deviceToken, response.packet)).toMatchObject({ result: 'pong', request_id: 'c1' });
    // It is in the account's history as a command from the dashboard's stream (never its payload).
    const history = (await api(relay.http, 'GET', '/api/history', { token: aliceApiToken })).body;
    expect(history.entries[0]).toMatchObject({ kind: 'command', from: self, status: 'delivered', meta: { device_id: BOARD, via: 'sse', format: 'command' } });
    expect(JSON.stringify(history)).not.toContain(sent.packet.payload);
  });

  it('a board that is not connected is target_offline on the stream at once; another account\'s board is not found', async () => {
    expect((await post(alice, { stream: self, frame: frame('c2', OFFLINE) }, { 'x-csrf-token': aliceCsrf })).status).toBe(202);
    expect(await live.next((f) => f.id === 'c2')).toMatchObject({ type: 'error', error: 'target_offline', id: 'c2' });
    expect((await post(alice, { stream: self, frame: frame('c3', 'WLFFFF01') }, { 'x-csrf-token': aliceCsrf })).status).toBe(202);
    expect(await live.next((f) => f.id === 'c3')).toMatchObject({ type: 'error', error: 'endpoint_not_found', id: 'c3' });
    expect(await board.nothingFor(200)).toBe(true);
  });

  it('refuses without a session (401), without or with a wrong CSRF header (403), a form post (403), non-JSON (415), broken JSON (422), and reaches no board', async () => {
    const stranger = new CookieBrowser(relay.http);
    const anonymous = await post(stranger, { stream: self, frame: frame('x1') }, { 'x-csrf-token': aliceCsrf });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'AUTH_REQUIRED' });
    const noHeader = await post(alice, { stream: self, frame: frame('x2') });
    expect(noHeader.status).toBe(403);
    expect(await noHeader.json()).toMatchObject({ error: 'ORIGIN_REFUSED' });
    expect((await post(alice, { stream: self, frame: frame('x3') }, { 'x-csrf-token': `${aliceCsrf.slice(0, -1)}x` })).status).toBe(403);
    // What a form on another site can send: the CSRF token cannot be in a header there.
    const form = await alice.request('POST', '/dashboard/command', { form: { csrf: aliceCsrf, stream: self, frame: JSON.stringify(frame('x4')) } });
    expect(form.status).toBe(403);
    const text = await alice.request('POST', '/dashboard/command', { body: JSON.stringify({ stream: self, frame: frame('x5') }), headers: { 'content-type': 'text/plain', 'x-csrf-token': aliceCsrf } });
    expect(text.status).toBe(415);
    const xml = await alice.request('POST', '/dashboard/command', { body: '<frame/>', headers: { 'content-type': 'application/xml', 'x-csrf-token': aliceCsrf } });
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE' });
    const broken = await alice.request('POST', '/dashboard/command', { body: '{"stream":', headers: { 'content-type': 'application/json', 'x-csrf-token': aliceCsrf } });
    expect(broken.status).toBe(422);
    expect(await broken.json()).toMatchObject({ error: 'BODY_NOT_JSON' });
    expect(await board.nothingFor(200)).toBe(true);
  });

  it('refuses a bad body with the routing core\'s words (400/422), a stream of another session (404), and more than 4 KB (413)', async () => {
    const headers = { 'x-csrf-token': aliceCsrf };
    const bad = await post(alice, { stream: self, frame: { type: 'command', id: 'b1', to: BOARD, packet: { device_id: BOARD } } }, headers);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_frame' });
    const message = await post(alice, { stream: self, frame: { type: 'message', to: BOARD, msgid: 'm', content: 'hi' } }, headers);
    expect(message.status).toBe(422);
    expect((await post(alice, { stream: self, frame: frame('b2'), extra: 1 }, headers)).status).toBe(422);
    expect((await post(alice, { frame: frame('b3') }, headers)).status).toBe(422);

    // Bob's session cannot send from Alice's stream, even with his own valid CSRF token.
    const bob = new CookieBrowser(relay.http);
    const { csrf: bobCsrf } = await bob.register(`cmdbob${process.pid}`);
    const foreign = await post(bob, { stream: self, frame: frame('b4') }, { 'x-csrf-token': bobCsrf });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ error: 'endpoint_not_found' });

    const large = await post(alice, { stream: self, frame: frame('b5'), pad: 'x'.repeat(4096) }, headers);
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: 'BODY_TOO_LARGE' });
    expect(await board.nothingFor(200)).toBe(true);
  });

  it('a stream that ended can no longer be sent from', async () => {
    const second = await liveStream(relay.http, alice);
    const id = (await second.next((f) => f.type === 'subscribed')).self;
    second.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await post(alice, { stream: id, frame: frame('e1') }, { 'x-csrf-token': aliceCsrf })).status).toBe(404);
    expect(await board.nothingFor(200)).toBe(true);
  });
});
