/**
 * WebRTC signaling through the routing core (issue 13), real sockets: offer → answer →
 * ice-candidate between two endpoints of one account, each acked to its sender; errors for an
 * offline, unknown or foreign target; a 64 KB frame goes through, a 64 KB + 1 frame gets
 * frame_too_large and the socket stays usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { createEndpoint, expectFrame } from './helpers/routing';
import { connectClient, type WsProbe } from './helpers/ws';

let relay: RunningRelay;
let alice: TestUser;
let phone: string;
let desktop: string;
beforeAll(async () => {
  relay = await startRelay();
  alice = await registerUser(relay.http);
  phone = (await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone' })).id;
  desktop = (await createEndpoint(relay.http, alice.token, { kind: 'host', name: 'desktop' })).id;
});
afterAll(async () => relay.close());

const connect = async (id: string, token = alice.token): Promise<WsProbe> => (await connectClient(relay.ws, id, token)).probe;
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

/** An offer whose whole frame, as sent, is exactly `bytes` long. */
function offerOfSize(target: string, bytes: number): string {
  const frame = (sdp: string) => JSON.stringify({ type: 'offer', target_device_id: target, payload: { type: 'offer', sdp } });
  return frame('a'.repeat(bytes - Buffer.byteLength(frame(''))));
}

describe('WebRTC signaling (issue 13)', () => {
  it('offer → answer → ice-candidate both ways, each acked "Message delivered to …"; the payload arrives as sent', async () => {
    const caller = await connect(phone);
    const callee = await connect(desktop);
    const offer = { type: 'offer', sdp: SDP };
    caller.send({ type: 'offer', target_device_id: desktop, payload: offer, id: 'o1' });
    expect(await expectFrame(callee, 'offer')).toEqual({ type: 'offer', from: phone, payload: offer, timestamp: expect.any(Number) });
    expect(await expectFrame(caller, 'ack')).toEqual({ type: 'ack', of: 'offer', id: 'o1', target_device_id: desktop, message: `Message delivered to ${desktop}` });
    const answer = { type: 'answer', sdp: SDP.replace('4611731400430051336', '9') };
    callee.send({ type: 'answer', target_device_id: phone, payload: answer });
    expect(await expectFrame(caller, 'answer')).toEqual({ type: 'answer', from: desktop, payload: answer, timestamp: expect.any(Number) });
    expect(await expectFrame(callee, 'ack')).toEqual({ type: 'ack', of: 'answer', target_device_id: phone, message: `Message delivered to ${phone}` });
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    for (const [from, to, toId] of [[caller, callee, desktop], [callee, caller, phone]] as const) {
      from.send({ type: 'ice-candidate', target_device_id: toId, payload: candidate });
      expect(await expectFrame(to, 'ice-candidate')).toMatchObject({ payload: candidate });
      expect(await expectFrame(from, 'ack')).toMatchObject({ of: 'ice-candidate', target_device_id: toId, message: `Message delivered to ${toId}` });
    }
    // End of candidates.
    caller.send({ type: 'ice-candidate', target_device_id: desktop, payload: { candidate: '' } });
    expect(await expectFrame(callee, 'ice-candidate')).toMatchObject({ payload: { candidate: '' } });
    await expectFrame(caller, 'ack');
    caller.close();
    callee.close();
  });

  it('an offline, unknown or other account\'s target, a board, or a malformed payload gets a clear error; nothing is delivered', async () => {
    const caller = await connect(phone);
    const mallory = await registerUser(relay.http);
    const foreign = (await createEndpoint(relay.http, mallory.token, { kind: 'host', name: 'theirs' })).id;
    const theirs = await connect(foreign, mallory.token);
    await api(relay.http, 'POST', '/api/register_device', { token: alice.token, body: { device_id: 'WL516A1' } });
    const offer = { type: 'offer', sdp: SDP };
    caller.send({ type: 'offer', target_device_id: desktop, payload: offer, id: 'x1' });
    expect(await caller.next()).toEqual({ type: 'error', error: 'target_offline', detail: `Endpoint ${desktop} is not connected`, id: 'x1', target_device_id: desktop });
    for (const target of [foreign, 'ep_00000000000000000000']) {
      caller.send({ type: 'offer', target_device_id: target, payload: offer });
      expect(await caller.next()).toEqual({ type: 'error', error: 'endpoint_not_found', detail: `No endpoint ${target} in your account`, target_device_id: target });
    }
    caller.send({ type: 'offer', target_device_id: 'WL516A1', payload: offer });
    expect(await caller.next()).toMatchObject({ type: 'error', error: 'unsupported_target', detail: 'boards do not take WebRTC signaling' });
    const malformed: [unknown, string][] = [
      [{ type: 'offer', target_device_id: desktop, payload: { type: 'answer', sdp: SDP } }, '`payload.type` must be "offer"'],
      [{ type: 'answer', target_device_id: desktop, payload: { type: 'answer' } }, '`payload.sdp` must be a non-empty string'],
      [{ type: 'offer', target_device_id: desktop, payload: 'sdp' }, '`payload` must be an object'],
      [{ type: 'ice-candidate', target_device_id: desktop, payload: { candidate: 5 } }, '`payload.candidate` must be a string (empty for end of candidates)'],
      [{ type: 'ice-candidate', target_device_id: desktop, payload: { candidate: '', sdpMLineIndex: -1 } }, '`payload.sdpMLineIndex` must be a non-negative integer or null'],
      [{ type: 'offer', target_device_id: 'someone', payload: offer }, '`target_device_id` must be an endpoint id, device id or uuid of your account'],
      [{ type: 'offer', target: desktop, payload: offer }, 'unknown field `target` in a offer frame'],
    ];
    for (const [frame, detail] of malformed) {
      caller.send(frame);
      expect(await caller.next(), detail).toMatchObject({ type: 'error', error: 'invalid_frame', detail });
    }
    expect(await theirs.nothingFor(100)).toBe(true);
    caller.close();
    theirs.close();
  });

  it('a 64 KB frame is routed; a 64 KB + 1 frame gets frame_too_large and the socket stays usable', async () => {
    const caller = await connect(phone);
    const callee = await connect(desktop);
    const full = offerOfSize(desktop, 64 * 1024);
    expect(Buffer.byteLength(full)).toBe(65_536);
    caller.send(full);
    expect((await expectFrame(callee, 'offer')).payload.sdp).toHaveLength(JSON.parse(full).payload.sdp.length);
    await expectFrame(caller, 'ack');
    caller.send(offerOfSize(desktop, 64 * 1024 + 1));
    expect(await caller.next()).toEqual({ type: 'error', error: 'frame_too_large', detail: 'a frame of 65537 bytes; at most 65536 (WS_MAX_FRAME_BYTES); nothing was done with it' });
    expect(await callee.nothingFor(100)).toBe(true);
    // Still usable: the next offer goes through.
    caller.send({ type: 'offer', target_device_id: desktop, payload: { type: 'offer', sdp: SDP } });
    expect(await expectFrame(callee, 'offer')).toMatchObject({ from: phone });
    expect(await expectFrame(caller, 'ack')).toMatchObject({ of: 'offer' });
    caller.close();
    callee.close();
  });
});
