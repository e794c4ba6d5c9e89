import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRelay, waitListening } from './helpers/child';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { TEST_SECRET, tempDir } from './helpers/relay';
import { connectClient, connectDevice } from './helpers/ws';

const dir = tempDir('wl-durable-');
const dbFile = join(dir, 'relay.db');
const env = { CLOUD_PORT: '0', DATABASE_FILE: dbFile, SECRET_KEY: TEST_SECRET };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileBytes(path: string): Buffer {
  return existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
}

describe('restart and crash (F1, F3, C1, C6)', () => {
  const deviceToken = newDeviceToken();
  const secrets: string[] = [deviceToken];
  let userToken = '';
  const id = 'WLD0AB1E1';

  it('F1/C1: commands acknowledged as queued survive SIGKILL and are delivered in order on connect', async () => {
    const first = await waitListening(spawnRelay(env));
    const user = await registerUser(first.http);
    userToken = user.token;
    secrets.push(user.token);
    // Old clients send the device token at registration: it must be discarded.
    await registerDevice(first.http, user.token, id, deviceToken);
    const extra = await api(first.http, 'POST', '/api/tokens', { token: user.token, body: { name: 'second' } });
    secrets.push(extra.body.token);
    const { probe: client } = await connectClient(first.ws, 'durable-client', user.token);
    for (let i = 0; i < 10; i += 1) {
      client.send(commandPacket(deviceToken, id, 'wake', `d${i}`, { mac: 'AA:BB:CC:DD:EE:FF' }));
      expect(await client.next()).toMatchObject({ delivered: false, queued: true });
    }
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await waitListening(spawnRelay(env));
    const { probe: device, welcome } = await connectDevice(second.ws, id, user.token);
    expect(welcome).toMatchObject({ type: 'welcome', device_id: id });
    const ids = [];
    for (let i = 0; i < 10; i += 1) ids.push(open(deviceToken, await device.next()).request_id);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `d${i}`));
    expect(await device.nothingFor(200)).toBe(true);
    // Leave a stored response behind, so the file also holds a packet at the byte check below.
    device.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'd0' }));
    await new Promise((r) => setTimeout(r, 100));
    second.child.kill('SIGKILL');
    await second.exited;
  });

  it('the SQLite files never contain a device token or a plain API token', () => {
    const bytes = Buffer.concat([fileBytes(dbFile), fileBytes(`${dbFile}-wal`), fileBytes(`${dbFile}-shm`)]);
    expect(bytes.length).toBeGreaterThan(0);
    // The search can fail: values that ARE stored (the device id) are found in the same bytes.
    expect(bytes.includes(Buffer.from(id))).toBe(true);
    expect(secrets.length).toBe(3);
    for (const secret of secrets) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
    }
  });

  it('F3/C6: SIGTERM closes sockets with 1012, checkpoints the WAL and exits 0', async () => {
    const relay = await waitListening(spawnRelay(env));
    const { probe: device } = await connectDevice(relay.ws, id, userToken);
    // The stored response from before the crash is still there.
    const pulled = await api(relay.http, 'POST', '/api/pull', { token: userToken, body: { device_id: id } });
    expect(pulled.body.count).toBe(1);
    const longPoll = api(relay.http, 'POST', '/api/pull', { token: userToken, body: { device_id: id, wait: 30 } });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    relay.child.kill('SIGTERM');
    expect((await device.closed).code).toBe(1012);
    const { code } = await relay.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The held long poll was answered (empty) instead of holding shutdown for 30 s.
    expect((await longPoll.catch(() => ({ status: -1 }))).status).not.toBe(-1);
    const wal = `${dbFile}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
  });
});
