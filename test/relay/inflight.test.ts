import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../server/limits';
import { nodeCrypto } from '../../node/crypto';
import { FreshnessGuard, deriveKey, isProtocolError, openPacketText } from '../../shared/index';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { ManualClock, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
const relays: RunningRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

async function relayWith(options: Parameters<typeof startRelay>[0] = {}): Promise<RunningRelay> {
  const relay = await startRelay(options);
  relays.push(relay);
  return relay;
}

function queueRows(dbFile: string): { attempts: number; delivered: boolean }[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT attempts, delivered_at FROM device_queue ORDER BY id').all() as { attempts: number; delivered_at: number | null }[])
      .map((row) => ({ attempts: row.attempts, delivered: row.delivered_at !== null }));
  } finally {
    db.close();
  }
}

async function dropped(probe: WsProbe): Promise<void> {
  probe.socket.terminate();
  await probe.closed;
  // Let the relay see the close before the device comes back.
  await new Promise((r) => setTimeout(r, 50));
}

/**
 * What the firmware does with a relay frame (firmware/packet-handler.ts): verify, check the
 * freshness memory (shared FreshnessGuard), answer every packet — a duplicate with an error reply.
 */
function deviceAnswer(guard: FreshnessGuard, id: string, frame: string): object {
  const opened = openPacketText({ key: deriveKey(deviceToken, nodeCrypto), packet: frame, crypto: nodeCrypto });
  const requestId = opened.inner.request_id;
  try {
    guard.accept({ nonce: opened.nonce, requestId });
  } catch (error) {
    if (!isProtocolError(error)) throw error;
    return responsePacket(deviceToken, id, { status: 'error', error: error.code, request_id: requestId });
  }
  return responsePacket(deviceToken, id, { status: 'success', result: 'ran', request_id: requestId });
}

describe('in-flight commands (F4, F14, C1)', () => {
  it('F4: a queued command the device took but never answered stays in flight and is re-sent on reconnect, same bytes, then answered to its sender', async () => {
    const relay = await relayWith();
    const user = await registerUser(relay.http);
    const id = 'WLF4C';
    await registerDevice(relay.http, user.token, id);
    const { probe: client } = await connectClient(relay.ws, 'f4-client', user.token);
    client.send(commandPacket(deviceToken, id, 'ping', 'q1'));
    expect(await client.next()).toMatchObject({ delivered: false, queued: true });

    const first = await connectDevice(relay.ws, id, user.token);
    expect(first.welcome.type).toBe('welcome');
    const sent = await first.probe.nextText();
    expect(open(deviceToken, sent).request_id).toBe('q1');
    expect(queueRows(relay.dbFile)).toEqual([{ attempts: 1, delivered: true }]);
    await dropped(first.probe);

    const second = await connectDevice(relay.ws, id, user.token);
    expect(second.welcome.type).toBe('welcome');
    expect(await second.probe.nextText()).toBe(sent);
    expect(queueRows(relay.dbFile)).toEqual([{ attempts: 2, delivered: true }]);
    second.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'q1' }));
    expect(open(deviceToken, await client.next()).request_id).toBe('q1');
    await new Promise((r) => setTimeout(r, 50));
    expect(queueRows(relay.dbFile)).toEqual([]);
    expect(await second.probe.nothingFor(150)).toBe(true);
    client.close();
    second.probe.close();
  });

  it('F4/C2: a live command is re-sent after the drop; the device answers the duplicate from its reply cache and that real reply reaches its sender, FIFO in step', async () => {
    const relay = await relayWith();
    const user = await registerUser(relay.http);
    const id = 'WLF411E';
    await registerDevice(relay.http, user.token, id);
    const guard = new FreshnessGuard();
    const { probe: alice } = await connectClient(relay.ws, 'f4-alice', user.token);
    const { probe: bob } = await connectClient(relay.ws, 'f4-bob', user.token);

    const first = await connectDevice(relay.ws, id, user.token);
    alice.send(commandPacket(deviceToken, id, 'wake', 'a1', { mac: 'AA:BB:CC:DD:EE:FF' }));
    expect(await alice.next()).toMatchObject({ delivered: true, queued: false });
    const live = await first.probe.nextText();
    // The device runs it, then loses the link before its reply leaves.
    const ranReply = deviceAnswer(guard, id, live);
    await dropped(first.probe);

    bob.send(commandPacket(deviceToken, id, 'ping', 'b1'));
    expect(await bob.next()).toMatchObject({ delivered: false, queued: true });

    const second = await connectDevice(relay.ws, id, user.token);
    const resent = await second.probe.nextText();
    expect(resent).toBe(live);
    const queued = await second.probe.nextText();
    expect(open(deviceToken, queued).request_id).toBe('b1');
    // Like the firmware's reply cache: a byte-identical duplicate gets the reply it already produced.
    second.probe.send(resent === live ? ranReply : deviceAnswer(guard, id, resent));
    second.probe.send(deviceAnswer(guard, id, queued));

    const toAlice = open(deviceToken, await alice.next());
    expect(toAlice).toMatchObject({ status: 'success', result: 'ran', request_id: 'a1' });
    const toBob = open(deviceToken, await bob.next());
    expect(toBob).toMatchObject({ status: 'success', request_id: 'b1' });
    expect(await alice.nothingFor(100)).toBe(true);
    expect(await bob.nothingFor(0)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(queueRows(relay.dbFile)).toEqual([]);
    alice.close();
    bob.close();
    second.probe.close();
  });

  it(`F4: delivery attempts are bounded (${LIMITS.deliveryAttempts}); a command the device never answers is then abandoned`, async () => {
    const relay = await relayWith();
    const user = await registerUser(relay.http);
    const id = 'WLF4A4';
    await registerDevice(relay.http, user.token, id);
    await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', 'm1') });
    let bytes = '';
    for (let attempt = 1; attempt <= LIMITS.deliveryAttempts; attempt += 1) {
      const { probe } = await connectDevice(relay.ws, id, user.token);
      const frame = await probe.nextText();
      if (attempt === 1) bytes = frame;
      expect(frame).toBe(bytes);
      expect(queueRows(relay.dbFile)).toEqual([{ attempts: attempt, delivered: true }]);
      await dropped(probe);
    }
    const { probe } = await connectDevice(relay.ws, id, user.token);
    expect(await probe.nothingFor(200)).toBe(true);
    expect(queueRows(relay.dbFile)).toEqual([]);
    probe.close();
  });

  it('F4/F14: after a relay restart the unanswered command is re-sent (attempts kept on disk); its reply goes to the owner\'s HTTP pull, never to a connected client', async () => {
    const dir = tempDir('wl-inflight-');
    const before = await startRelay({ dir });
    const user = await registerUser(before.http);
    const id = 'WLF4E57';
    await registerDevice(before.http, user.token, id);
    await api(before.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', 'r1') });
    const first = await connectDevice(before.ws, id, user.token);
    const sent = await first.probe.nextText();
    await before.close();
    await first.probe.closed;

    const after = await relayWith({ dir });
    const other = await registerUser(after.http);
    const { probe: ownerClient } = await connectClient(after.ws, 'f14-owner', user.token);
    const { probe: otherClient } = await connectClient(after.ws, 'f14-other', other.token);
    const second = await connectDevice(after.ws, id, user.token);
    expect(await second.probe.nextText()).toBe(sent);
    expect(queueRows(after.dbFile)).toEqual([{ attempts: 2, delivered: true }]);
    second.probe.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'r1' }));
    expect(await ownerClient.nothingFor(200)).toBe(true);
    expect(await otherClient.nothingFor(0)).toBe(true);
    const pulled = await api(after.http, 'POST', '/api/pull', { token: user.token, body: { device_id: id } });
    expect(pulled.body.count).toBe(1);
    expect(open(deviceToken, { device_id: id, payload: pulled.body.messages[0].payload, signature: pulled.body.messages[0].signature, version: '1.0' }).request_id).toBe('r1');
    expect(queueRows(after.dbFile)).toEqual([]);
    ownerClient.close();
    otherClient.close();
    second.probe.close();
  });

  it('F14: a device reply with no command in flight is forwarded to no client; only the owner can pull it', async () => {
    const relay = await relayWith();
    const owner = await registerUser(relay.http);
    const stranger = await registerUser(relay.http);
    const id = 'WLF14';
    await registerDevice(relay.http, owner.token, id);
    const { probe: ownerClient } = await connectClient(relay.ws, 'f14-a', owner.token);
    const { probe: strangerClient } = await connectClient(relay.ws, 'f14-b', stranger.token);
    const { probe: device } = await connectDevice(relay.ws, id, owner.token);
    // One answered round trip first, so the owner's client was a recent sender.
    ownerClient.send(commandPacket(deviceToken, id, 'ping', 'x1'));
    expect(await ownerClient.next()).toMatchObject({ delivered: true });
    await device.next();
    device.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'x1' }));
    expect(open(deviceToken, await ownerClient.next()).request_id).toBe('x1');

    device.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'nobody-asked' }));
    expect(await ownerClient.nothingFor(200)).toBe(true);
    expect(await strangerClient.nothingFor(0)).toBe(true);
    const refused = await api(relay.http, 'POST', '/api/pull', { token: stranger.token, body: { device_id: id } });
    expect(refused.status).toBe(404);
    const pulled = await api(relay.http, 'POST', '/api/pull', { token: owner.token, body: { device_id: id } });
    expect(pulled.body.count).toBe(1);
    // The device socket is still served normally.
    ownerClient.send(commandPacket(deviceToken, id, 'ping', 'x2'));
    expect(open(deviceToken, await device.next()).request_id).toBe('x2');
    ownerClient.close();
    strangerClient.close();
    device.close();
  });

  it('C1: a queued command that expires undelivered is reported `expired` to its WS sender; a delivered one is not', async () => {
    const clock = new ManualClock();
    const relay = await relayWith({ clock, env: { QUEUE_TTL_SECONDS: '60' } });
    const user = await registerUser(relay.http);
    const id = 'WLE791';
    const other = 'WLE792';
    await registerDevice(relay.http, user.token, id);
    await registerDevice(relay.http, user.token, other);
    const { probe: client } = await connectClient(relay.ws, 'exp-client', user.token);
    const e1 = commandPacket(deviceToken, id, 'ping', 'e1');
    client.send(e1);
    expect(await client.next()).toMatchObject({ queued: true });
    // Another command is delivered but never answered before the TTL: its fate is unknown.
    client.send(commandPacket(deviceToken, other, 'ping', 'e2'));
    expect(await client.next()).toMatchObject({ queued: true });
    const { probe: device } = await connectDevice(relay.ws, other, user.token);
    await device.next();

    clock.advance(60_000 + 1);
    expect(relay.app.relay.sweepExpired()).toBeGreaterThanOrEqual(2);
    expect(await client.next()).toEqual({
      status: 'error', error: 'expired', message: 'Command expired before the device connected', device_id: id, signature: e1.signature,
    });
    expect(await client.nothingFor(150)).toBe(true);
    expect(queueRows(relay.dbFile)).toEqual([]);
    client.close();
    device.close();
  });

  it('C1: expiry noticed when the device connects: the sender hears `expired`, the device gets nothing', async () => {
    const clock = new ManualClock();
    const relay = await relayWith({ clock, env: { QUEUE_TTL_SECONDS: '60' } });
    const user = await registerUser(relay.http);
    const id = 'WLE793';
    await registerDevice(relay.http, user.token, id);
    const { probe: client } = await connectClient(relay.ws, 'exp-client2', user.token);
    client.send(commandPacket(deviceToken, id, 'ping', 'e3'));
    expect(await client.next()).toMatchObject({ queued: true });
    clock.advance(60_000 + 1);
    const { probe: device } = await connectDevice(relay.ws, id, user.token);
    expect(await client.next()).toMatchObject({ status: 'error', error: 'expired', device_id: id });
    expect(await device.nothingFor(150)).toBe(true);
    client.close();
    device.close();
  });
});
