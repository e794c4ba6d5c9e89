/**
 * Acknowledged endpoint-to-endpoint messages (issue 13) over real sockets: the 13-field envelope
 * validated field by field, receipts (delivered / stored / expired), the recipient's ack routed back,
 * durable offline delivery in order per sender across a disconnect and a relay restart (at least
 * once, duplicates recognisable by msgid), a forged `from`, the mailbox cap, the in-flight window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from './helpers/http';
import { ManualClock, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { createEndpoint, expectFrame } from './helpers/routing';
import { connectClient, type WsProbe } from './helpers/ws';

let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

async function setup(env: Record<string, string> = {}, extra: { dir?: string; clock?: ManualClock } = {}) {
  relay = await startRelay({ env, ...extra });
  const alice = await registerUser(relay.http);
  const phone = await createEndpoint(relay.http, alice.token, { kind: 'app', name: 'phone', uuid: '6f1c2a0e-8b7d-4c3e-9a21-0d5e4f3b2a19' });
  const desktop = await createEndpoint(relay.http, alice.token, { kind: 'host', name: 'desktop' });
  const laptop = await createEndpoint(relay.http, alice.token, { kind: 'cli', name: 'laptop' });
  return { alice, phone: phone.id as string, desktop: desktop.id as string, laptop: laptop.id as string };
}

const connect = async (id: string, user: TestUser): Promise<WsProbe> => (await connectClient(relay!.ws, id, user.token)).probe;

describe('acknowledged messages between endpoints (issue 13)', () => {
  it('a message to a connected endpoint: all fields arrive with from and timestamp filled in, the sender hears delivered, the recipient\'s ack comes back with the msgid', async () => {
    const { alice, phone, desktop } = await setup();
    const sender = await connect(phone, alice);
    const recipient = await connect(desktop, alice);
    const message = {
      type: 'message', to: desktop, timestamp: 1_796_000_000_000, priority: 'high', subject: 'wake desk', msgid: 'm-1', acknowledge: true,
      content: { sealed: 'opaque to the relay' }, action: 'wake', event: 'user.request', status: 'new', conversation_id: 'conv-7', msgno: 1,
    };
    sender.send(message);
    expect(await expectFrame(recipient, 'message')).toEqual({ ...message, from: phone });
    expect(await expectFrame(sender, 'receipt')).toEqual({ type: 'receipt', msgid: 'm-1', to: desktop, status: 'delivered', timestamp: expect.any(Number) });
    recipient.send({ type: 'ack', msgid: 'm-1', status: 'done' });
    expect(await expectFrame(sender, 'ack')).toEqual({ type: 'ack', msgid: 'm-1', from: desktop, to: phone, status: 'done', timestamp: expect.any(Number) });
    // Without `acknowledge`, the ack only clears the recipient's mailbox; and a msgid is made up when none is given.
    sender.send({ type: 'message', to: desktop, content: 2 });
    const second = await expectFrame(recipient, 'message');
    expect(second).toMatchObject({ from: phone, priority: 'normal', acknowledge: false, content: 2, msgid: expect.stringMatching(/^m_/) });
    expect(await expectFrame(sender, 'receipt')).toMatchObject({ msgid: second.msgid, status: 'delivered' });
    recipient.send({ type: 'ack', msgid: second.msgid });
    recipient.send({ type: 'ack', msgid: second.msgid });
    expect(await recipient.next()).toEqual({ type: 'error', error: 'unknown_msgid', detail: `No message ${second.msgid} was delivered on this connection and is waiting for its ack`, msgid: second.msgid });
    expect(await sender.nothingFor(150)).toBe(true);
  });

  it('to an offline endpoint: stored durably, delivered on reconnect in order per sender, no loss across a disconnect and a relay restart; unacked ones come again with the same msgid', async () => {
    const dir = tempDir();
    const { alice, phone, desktop, laptop } = await setup({}, { dir });
    const a = await connect(phone, alice);
    const b = await connect(laptop, alice);
    for (let i = 0; i < 5; i += 1) {
      a.send({ type: 'message', to: desktop, msgid: `a${i}`, msgno: i, acknowledge: true });
      b.send({ type: 'message', to: desktop, msgid: `b${i}`, msgno: i });
    }
    for (const [probe, prefix] of [[a, 'a'], [b, 'b']] as const) {
      for (let i = 0; i < 5; i += 1) expect(await expectFrame(probe, 'receipt')).toMatchObject({ msgid: `${prefix}${i}`, to: desktop, status: 'stored' });
    }
    // The relay restarts: nothing acknowledged as stored is lost.
    a.close();
    b.close();
    await relay!.close();
    relay = await startRelay({ dir });
    const desk = await connect(desktop, alice);
    const got: any[] = [];
    for (let i = 0; i < 10; i += 1) got.push(await expectFrame(desk, 'message'));
    for (const prefix of ['a', 'b']) expect(got.filter((m) => m.msgid.startsWith(prefix)).map((m) => m.msgno)).toEqual([0, 1, 2, 3, 4]);
    expect(got.filter((m) => m.from === phone)).toHaveLength(5);
    // Acks for three; the others are still waiting when the connection drops.
    for (const msgid of ['a0', 'a1', 'b0']) desk.send({ type: 'ack', msgid });
    await new Promise((r) => setTimeout(r, 100));
    desk.close();
    await desk.closed;
    const again = await connect(desktop, alice);
    const redelivered: string[] = [];
    for (let i = 0; i < 7; i += 1) redelivered.push((await expectFrame(again, 'message')).msgid);
    expect(redelivered.filter((id) => id.startsWith('a'))).toEqual(['a2', 'a3', 'a4']);
    expect(redelivered.filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(await again.nothingFor(150)).toBe(true);
    // The phone was offline when its messages were acked: the acks wait in its mailbox; receipts do not.
    const phoneBack = await connect(phone, alice);
    expect([(await expectFrame(phoneBack, 'ack')).msgid, (await expectFrame(phoneBack, 'ack')).msgid]).toEqual(['a0', 'a1']);
    again.send({ type: 'ack', msgid: 'a2' });
    expect(await expectFrame(phoneBack, 'ack')).toMatchObject({ msgid: 'a2', from: desktop, to: phone });
  });

  it('a sender retrying a msgid is recognised (duplicate: true), and the recipient gets it once', async () => {
    const { alice, phone, desktop } = await setup();
    const a = await connect(phone, alice);
    a.send({ type: 'message', to: desktop, msgid: 'retry-1' });
    a.send({ type: 'message', to: desktop, msgid: 'retry-1' });
    expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: 'retry-1', status: 'stored' });
    expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: 'retry-1', status: 'stored', duplicate: true });
    const desk = await connect(desktop, alice);
    expect((await expectFrame(desk, 'message')).msgid).toBe('retry-1');
    expect(await desk.nothingFor(150)).toBe(true);
    expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: 'retry-1', status: 'delivered' });
  });

  it('a forged `from` is refused (another endpoint of the account, another account\'s, a made-up one); your own id or uuid is fine', async () => {
    const { alice, phone, desktop, laptop } = await setup();
    const bob = await registerUser(relay!.http);
    const bobs = await createEndpoint(relay!.http, bob.token, { kind: 'app', name: 'bob' });
    const a = await connect(phone, alice);
    const desk = await connect(desktop, alice);
    for (const from of [laptop, bobs.id, 'ep_0123456789abcdef0123', 'WLB0B']) {
      a.send({ type: 'message', to: desktop, from, msgid: 'forged' });
      expect(await a.next()).toEqual({ type: 'error', error: 'forged_from', detail: `\`from\` must be this connection's endpoint (${phone})`, msgid: 'forged' });
    }
    expect(await desk.nothingFor(100)).toBe(true);
    a.send({ type: 'message', to: desktop, from: '6F1C2A0E-8B7D-4C3E-9A21-0D5E4F3B2A19', msgid: 'by-uuid' });
    expect(await expectFrame(desk, 'message')).toMatchObject({ msgid: 'by-uuid', from: phone });
    expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: 'by-uuid', status: 'delivered' });
    // Routed by uuid too, and another account's endpoint looks missing.
    desk.send({ type: 'message', to: '6f1c2a0e-8b7d-4c3e-9a21-0d5e4f3b2a19', msgid: 'to-uuid' });
    expect(await expectFrame(a, 'message')).toMatchObject({ msgid: 'to-uuid', from: desktop, to: '6f1c2a0e-8b7d-4c3e-9a21-0d5e4f3b2a19' });
    a.send({ type: 'message', to: bobs.id, msgid: 'cross' });
    expect(await a.next()).toEqual({ type: 'error', error: 'endpoint_not_found', detail: `No endpoint ${bobs.id} in your account`, msgid: 'cross', to: bobs.id });
  });

  it('B7: every field of the envelope is checked, never coerced; an unknown field is named; nothing is stored', async () => {
    const { alice, phone, desktop } = await setup();
    const a = await connect(phone, alice);
    const cases: [Record<string, unknown>, string][] = [
      [{}, '`to` must be an endpoint id (ep_…), a device id (WL…) or an endpoint uuid'],
      [{ to: 'desk' }, '`to` must be an endpoint id (ep_…), a device id (WL…) or an endpoint uuid'],
      [{ to: desktop, from: 7 }, '`from` must be your endpoint id or uuid'],
      [{ to: desktop, timestamp: '1796000000000' }, '`timestamp` must be milliseconds since the epoch (a non-negative integer)'],
      [{ to: desktop, timestamp: 1.5 }, '`timestamp` must be milliseconds since the epoch (a non-negative integer)'],
      [{ to: desktop, priority: 'urgent' }, '`priority` must be one of low, normal, high'],
      [{ to: desktop, subject: 's'.repeat(257) }, '`subject` must be a string of at most 256 characters'],
      [{ to: desktop, msgid: 'has space' }, '`msgid` must be 1 to 128 characters of A-Z a-z 0-9 _ . : -'],
      [{ to: desktop, acknowledge: 'yes' }, '`acknowledge` must be true or false'],
      [{ to: desktop, action: 5 }, '`action` must be a string of at most 64 characters'],
      [{ to: desktop, event: 'Not An Event' }, '`event` must be 1 to 64 characters of a-z 0-9 _ . -'],
      [{ to: desktop, status: ['x'] }, '`status` must be a string of at most 64 characters'],
      [{ to: desktop, conversation_id: {} }, '`conversation_id` must be a string of at most 128 characters'],
      [{ to: desktop, msgno: -1 }, '`msgno` must be a non-negative integer'],
      [{ to: desktop, msgno: 2 ** 53 }, '`msgno` must be a non-negative integer'],
      [{ to: desktop, body: 'typo' }, 'unknown field `body` in a message frame'],
    ];
    for (const [fields, detail] of cases) {
      a.send({ type: 'message', ...fields });
      expect(await a.next(), detail).toMatchObject({ type: 'error', error: 'invalid_frame', detail });
    }
    a.send({ type: 'message', to: desktop, content: 'c'.repeat(40_000) });
    expect(await a.next()).toMatchObject({ type: 'error', error: 'frame_too_large', detail: '`content` is 40002 bytes as JSON; at most 32768 (MESSAGE_CONTENT_BYTES)' });
    const desk = await connect(desktop, alice);
    expect(await desk.nothingFor(150)).toBe(true);
  });

  it('MESSAGE_QUEUE_CAP bounds a mailbox (mailbox_full); MESSAGE_TTL_SECONDS expires what waits (the sender hears expired); boards take no messages', async () => {
    const clock = new ManualClock(Date.now());
    const { alice, phone, desktop } = await setup({ MESSAGE_QUEUE_CAP: '3', MESSAGE_TTL_SECONDS: '60' }, { clock });
    const a = await connect(phone, alice);
    for (let i = 0; i < 4; i += 1) a.send({ type: 'message', to: desktop, msgid: `cap${i}` });
    for (let i = 0; i < 3; i += 1) expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: `cap${i}`, status: 'stored' });
    expect(await a.next()).toEqual({ type: 'error', error: 'mailbox_full', detail: `${desktop} already has 3 messages waiting (MESSAGE_QUEUE_CAP)`, msgid: 'cap3', to: desktop });
    clock.advance(61_000);
    expect(relay!.app.router.sweep()).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 3; i += 1) expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: `cap${i}`, to: desktop, status: 'expired' });
    const desk = await connect(desktop, alice);
    expect(await desk.nothingFor(150)).toBe(true);
    await relay!.app.router.endpoints.register({ userId: alice.id, username: alice.username, via: 'api_token', tokenId: null, expiresAt: null, sessionId: null }, { kind: 'board', name: 'b', device_id: 'WLB0A4D' }, 5);
    a.send({ type: 'message', to: 'WLB0A4D', msgid: 'to-board' });
    expect(await a.next()).toMatchObject({ type: 'error', error: 'unsupported_target', msgid: 'to-board' });
  });

  it('a connection-scoped endpoint that speaks the protocol gets messages while connected; its mailbox ends with the socket, and with a crashed relay', async () => {
    const dir = tempDir();
    const { alice, phone } = await setup({}, { dir });
    const { probe: temp } = await connectClient(relay!.ws, 'temp-client', alice.token);
    temp.send({ type: 'subscribe', endpoints: 'boards' });
    const self = (await expectFrame(temp, 'subscribed')).self as string;
    const a = await connect(phone, alice);
    a.send({ type: 'message', to: self, msgid: 't1' });
    expect(await expectFrame(temp, 'message')).toMatchObject({ msgid: 't1', from: phone, to: self });
    expect(await expectFrame(a, 'receipt')).toMatchObject({ status: 'delivered' });
    expect(relay!.app.store.countMail(self, Date.now())).toBe(1);
    temp.close();
    await temp.closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(relay!.app.store.countMail(self, Date.now())).toBe(0);
    a.send({ type: 'message', to: self, msgid: 't2' });
    expect(await a.next()).toMatchObject({ type: 'error', error: 'endpoint_not_found', msgid: 't2' });
    // A relay that dies with such mail unacked drops it at its next start (as if its close never ran).
    a.close();
    const orphan = 'ec_00000000000000000abc';
    await relay!.app.store.putMail({ toEndpoint: orphan, fromEndpoint: phone, kind: 'message', msgid: 'orphan', frame: '{}', acknowledge: false, createdAt: Date.now(), expiresAt: Date.now() + 60_000 }, 10);
    expect(relay!.app.store.countMail(orphan, Date.now())).toBe(1);
    await relay!.close();
    relay = await startRelay({ dir });
    expect(relay.app.store.countMail(orphan, Date.now())).toBe(0);
  });

  it('MESSAGES_IN_FLIGHT: at most that many unacked messages on a socket; the rest follow, in order, as acks come', async () => {
    const { alice, phone, desktop } = await setup({ MESSAGES_IN_FLIGHT: '2' });
    const a = await connect(phone, alice);
    const desk = await connect(desktop, alice);
    for (let i = 0; i < 5; i += 1) a.send({ type: 'message', to: desktop, msgid: `w${i}` });
    const statuses: string[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await expectFrame(a, 'receipt')).status);
    expect(statuses).toEqual(['delivered', 'delivered', 'stored', 'stored', 'stored']);
    expect((await expectFrame(desk, 'message')).msgid).toBe('w0');
    expect((await expectFrame(desk, 'message')).msgid).toBe('w1');
    expect(await desk.nothingFor(100)).toBe(true);
    for (let i = 0; i < 3; i += 1) {
      desk.send({ type: 'ack', msgid: `w${i}` });
      expect((await expectFrame(desk, 'message')).msgid).toBe(`w${i + 2}`);
      expect(await expectFrame(a, 'receipt')).toMatchObject({ msgid: `w${i + 2}`, status: 'delivered' });
    }
  });
});
