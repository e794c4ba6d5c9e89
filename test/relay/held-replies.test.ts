import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectDevice } from './helpers/ws';

const deviceToken = newDeviceToken();
let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('device reply while the database refuses writes (F9)', () => {
  it('a reply the store cannot write is held in memory and returned by the next pull, once; the relay keeps running', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    const id = 'WL4E1D1';
    await registerDevice(relay.http, user.token, id);
    const device = await connectDevice(relay.ws, id, user.token);
    const pushed = await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', 'held1') });
    expect(pushed.body.delivered_via_ws).toBe(true);
    expect(open(deviceToken, await device.probe.next()).request_id).toBe('held1');

    const locker = new Database(relay.dbFile);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const reply = responsePacket(deviceToken, id, { status: 'success', result: 'pong', request_id: 'held1' });
      device.probe.send(reply);
      // The relay tries the write for busy_timeout, then gives up on it.
      await new Promise((r) => setTimeout(r, 300));
      const pulled = await api(relay.http, 'POST', '/api/pull', { token: user.token, body: { device_id: id } });
      expect(pulled.status).toBe(200);
      expect(pulled.body.count).toBe(1);
      expect(pulled.body.messages[0]).toMatchObject({ payload: reply.payload, signature: reply.signature });
    } finally {
      if (locker.inTransaction) locker.exec('COMMIT');
      locker.close();
    }
    const again = await api(relay.http, 'POST', '/api/pull', { token: user.token, body: { device_id: id } });
    expect(again.body.count).toBe(0);
    // Still serving the device.
    await api(relay.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'ping', 'held2') });
    expect(open(deviceToken, await device.probe.next()).request_id).toBe('held2');
    device.probe.close();
  }, 15_000);
});
