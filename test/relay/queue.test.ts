import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../server/store/sqlite-store';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open } from './helpers/packets';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice } from './helpers/ws';

const deviceToken = newDeviceToken();
let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('durable offline queue', () => {
  it('S15: a command older than the TTL is deleted and never delivered', async () => {
    const clock = new ManualClock();
    relay = await startRelay({ clock, env: { QUEUE_TTL_SECONDS: '300' } });
    const user = await registerUser(relay.http);
    const id = 'WL7711';
    await registerDevice(relay.http, user.token, id);
    const stale = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'restart', 'old') });
    expect(stale.body.queued).toBe(true);
    clock.advance(300_000 + 1);
    const fresh = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', 'new') });
    expect(fresh.body.queued).toBe(true);
    const { probe } = await connectDevice(relay.ws, id, user.token);
    expect(open(deviceToken, await probe.next()).request_id).toBe('new');
    expect(await probe.nothingFor(200)).toBe(true);
    const rows = new Database(relay.dbFile, { readonly: true });
    // The stale row is gone; the delivered one stays in flight until the device answers it (F4).
    expect(rows.prepare('SELECT attempts FROM device_queue').all()).toEqual([{ attempts: 1 }]);
    rows.close();
    probe.close();
  });

  it('L3: the per-device cap answers queue_full (HTTP 429 and WS error frame); the queued ones stay intact', async () => {
    relay = await startRelay({ env: { QUEUE_CAP: '3' } });
    const user = await registerUser(relay.http);
    const id = 'WLCA91';
    await registerDevice(relay.http, user.token, id);
    const results = await Promise.all([0, 1, 2, 3].map((i) =>
      api(relay!.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', `c${i}`) })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    const full = results.find((r) => r.status === 429)!;
    expect(full.body).toEqual({ detail: 'Device queue full (3 commands)', error: 'queue_full' });
    const { probe: client } = await connectClient(relay.ws, 'cap-client', user.token);
    client.send(commandPacket(deviceToken, id, 'ping', 'c4'));
    expect(await client.next()).toEqual({ status: 'error', error: 'queue_full', message: 'Device queue full (3 commands)' });
    const { probe } = await connectDevice(relay.ws, id, user.token);
    const delivered = [await probe.next(), await probe.next(), await probe.next()].map((f) => open(deviceToken, f).request_id);
    expect(delivered.sort()).toEqual(results.flatMap((r, i) => (r.status === 200 ? [`c${i}`] : [])).sort());
    expect(await probe.nothingFor(150)).toBe(true);
    client.close();
    probe.close();
  });

  it('queued commands are delivered in submission order after the welcome frame (B14)', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    const id = 'WLDE2';
    await registerDevice(relay.http, user.token, id);
    for (let i = 0; i < 5; i += 1) {
      await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', `o${i}`) });
    }
    const { probe, welcome } = await connectDevice(relay.ws, id, user.token);
    expect(welcome.type).toBe('welcome');
    const order = [];
    for (let i = 0; i < 5; i += 1) order.push(open(deviceToken, await probe.next()).request_id);
    expect(order).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);
    probe.close();
  });

  it('group commit: enqueues from the same tick share one transaction, and each is on disk when it resolves', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL6200');
    const store = relay.app.store as SqliteStore;
    const before = store.queueBatches();
    const now = Date.now();
    const pending = Array.from({ length: 20 }, (_, i) =>
      store.enqueue({ deviceId: 'WL6200', payload: 'ab'.repeat(30 + i), signature: 'c'.repeat(64) }, now, 60_000, 32));
    const results = await Promise.all(pending);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.queueBatches() - before).toBe(1);
    // A second connection (another reader of the file) sees every acknowledged row.
    const reader = new Database(relay.dbFile, { readonly: true });
    expect((reader.prepare("SELECT COUNT(*) AS n FROM device_queue WHERE device_id = 'WL6200'").get() as { n: number }).n).toBe(20);
    reader.close();
  });

  it('group commit respects the cap inside one batch', async () => {
    relay = await startRelay({ env: { QUEUE_CAP: '4' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLBA7C4CA');
    const store = relay.app.store as SqliteStore;
    const results = await Promise.all(Array.from({ length: 6 }, () =>
      store.enqueue({ deviceId: 'WLBA7C4CA', payload: 'abcd', signature: 'c'.repeat(64) }, Date.now(), 60_000, 4)));
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'ok', 'ok', 'ok', 'queue_full', 'queue_full']);
  });
});
