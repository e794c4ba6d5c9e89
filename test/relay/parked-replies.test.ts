/**
 * REPLY_ROW_DELAY_MS (issue 17): a board's reply to an HTTP push waits in memory for its client's
 * pull before it is written; the command's own row, if it has one (its board was slower than
 * INFLIGHT_ROW_DELAY_MS), stays until the reply is taken or written, so a relay crash in that
 * window re-sends the command instead of losing it. Observed through the real
 * database file, which a test reads on its own connection.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { crashAndRestart, spawnRelay, waitListening } from './helpers/child';
import { api, registerDevice, registerUser, type TestUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { TEST_SECRET, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
const relays: RunningRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows in the device queue (commands, including live ones' durable rows) and in stored replies. */
function rows(dbFile: string): { commands: number; replies: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { commands: count('device_queue'), replies: count('device_responses') };
  } finally {
    db.close();
  }
}

interface Setup { relay: RunningRelay; user: TestUser; device: WsProbe; id: string }

async function setup(id: string, env: Record<string, string>, dir?: string): Promise<Setup> {
  const relay = await startRelay({ env, ...(dir ? { dir } : {}) });
  relays.push(relay);
  const user = await registerUser(relay.http);
  await registerDevice(relay.http, user.token, id);
  const { probe: device } = await connectDevice(relay.ws, id, user.token);
  return { relay, user, device, id };
}

/** Pushes over HTTP; the board gets the command and answers it at once. */
async function pushAnswered(s: Setup, requestId: string): Promise<void> {
  const pushed = await api(s.relay.http, 'POST', '/api/push', { token: s.user.token, body: commandPacket(deviceToken, s.id, 'ping', requestId) });
  expect(pushed.body).toMatchObject({ delivered_via_ws: true });
  expect(open(deviceToken, await s.device.nextText()).request_id).toBe(requestId);
  s.device.send(responsePacket(deviceToken, s.id, { status: 'success', result: 'pong', request_id: requestId }));
  await sleep(60);
}

/** The request ids a pull returns; `wait` (seconds) when a reply is expected, so a slow machine is not a failure. */
async function pulled(s: Setup, wait = 0): Promise<string[]> {
  const result = await api(s.relay.http, 'POST', '/api/pull', { token: s.user.token, body: { device_id: s.id, wait } });
  expect(result.status).toBe(200);
  return (result.body.messages as { device_id: string; payload: string; signature: string }[])
    .map((m) => open(deviceToken, { device_id: m.device_id, payload: m.payload, signature: m.signature, version: '1.0' }).request_id as string);
}

describe('REPLY_ROW_DELAY_MS: replies for HTTP pulling wait in memory for their pull (issue 17)', () => {
  it('a reply pulled within the delay is never written; the command\'s row stays until the pull takes it', async () => {
    const s = await setup('WL9A01', { REPLY_ROW_DELAY_MS: '1000' });
    await pushAnswered(s, 'park0001');
    expect(rows(s.relay.dbFile)).toEqual({ commands: 1, replies: 0 });
    expect(await pulled(s, 2)).toEqual(['park0001']);
    await sleep(1100);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
    expect(await pulled(s)).toEqual([]);
  });

  it('INFLIGHT_ROW_DELAY_MS: a push its board answers within that delay is answered with the reply, and neither command nor reply is ever written', async () => {
    const s = await setup('WL9A09', { REPLY_ROW_DELAY_MS: '1000', INFLIGHT_ROW_DELAY_MS: '1000' });
    const started = Date.now();
    const pushing = api(s.relay.http, 'POST', '/api/push', { token: s.user.token, body: commandPacket(deviceToken, s.id, 'ping', 'fast0009') });
    expect(open(deviceToken, await s.device.nextText()).request_id).toBe('fast0009');
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
    s.device.send(responsePacket(deviceToken, s.id, { status: 'success', result: 'pong', request_id: 'fast0009' }));
    expect((await pushing).body).toMatchObject({ delivered_via_ws: true, queued: false });
    expect(Date.now() - started).toBeLessThan(900);
    expect(await pulled(s, 2)).toEqual(['fast0009']);
    await sleep(1100);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
  });

  it('a reply nobody pulls within the delay is written then, with its command\'s row deleted; a later pull gets it once', async () => {
    const s = await setup('WL9A02', { REPLY_ROW_DELAY_MS: '600' });
    // An empty pull first: the relay then knows nothing is stored, and must learn of the write.
    expect(await pulled(s)).toEqual([]);
    await pushAnswered(s, 'park0002');
    expect(rows(s.relay.dbFile)).toEqual({ commands: 1, replies: 0 });
    await sleep(1000);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 1 });
    expect(await pulled(s, 2)).toEqual(['park0002']);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
    expect(await pulled(s)).toEqual([]);
  });

  it('a stored reply and a newer parked one come back together, oldest first', async () => {
    const s = await setup('WL9A03', { REPLY_ROW_DELAY_MS: '600' });
    await pushAnswered(s, 'park0003');
    await sleep(1000);
    await pushAnswered(s, 'park0004');
    expect(rows(s.relay.dbFile)).toEqual({ commands: 1, replies: 1 });
    expect(await pulled(s, 2)).toEqual(['park0003', 'park0004']);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
  });

  it('REPLY_ROW_DELAY_MS=0, or PARKED_REPLIES=0, writes the reply at once', async () => {
    const cases: [string, Record<string, string>][] = [['WL9A04', { REPLY_ROW_DELAY_MS: '0' }], ['WL9A05', { REPLY_ROW_DELAY_MS: '1000', PARKED_REPLIES: '0' }]];
    for (const [id, env] of cases) {
      const s = await setup(id, env);
      await pushAnswered(s, 'park0005');
      await expect.poll(() => rows(s.relay.dbFile), { timeout: 2000 }).toEqual({ commands: 0, replies: 1 });
      expect(await pulled(s, 2)).toEqual(['park0005']);
    }
  });

  it('a shutdown writes the parked replies before the database closes', async () => {
    const dir = tempDir('wl-parked-close-');
    const s = await setup('WL9A06', { REPLY_ROW_DELAY_MS: '1000' }, dir);
    await pushAnswered(s, 'park0006');
    expect(rows(s.relay.dbFile)).toEqual({ commands: 1, replies: 0 });
    await s.relay.close();
    relays.splice(relays.indexOf(s.relay), 1);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 1 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('deleting the device drops its parked reply: nothing is written after the delay', async () => {
    const s = await setup('WL9A07', { REPLY_ROW_DELAY_MS: '600' });
    await pushAnswered(s, 'park0007');
    expect((await api(s.relay.http, 'POST', '/api/delete_device', { token: s.user.token, body: { device_id: s.id } })).status).toBe(200);
    // Added again at once: the deleted device's reply must be gone from memory too, not only from the database.
    await registerDevice(s.relay.http, s.user.token, s.id);
    expect(await pulled(s)).toEqual([]);
    await sleep(1000);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
    expect(await pulled(s)).toEqual([]);
  });

  it('a board that reconnects while its answered command\'s reply is parked is not sent that command again', async () => {
    const s = await setup('WL9A0A', { REPLY_ROW_DELAY_MS: '1000' });
    await pushAnswered(s, 'park000a');
    expect(rows(s.relay.dbFile)).toEqual({ commands: 1, replies: 0 });
    s.device.socket.terminate();
    await s.device.closed;
    const again = await connectDevice(s.relay.ws, s.id, s.user.token);
    await expect(again.probe.nextText(400)).rejects.toThrow();
    expect(await pulled(s, 2)).toEqual(['park000a']);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 0 });
    again.probe.close();
  });

  it('C6: a reply that arrives while the relay shuts down is written before the database closes', async () => {
    const dir = tempDir('wl-parked-closing-');
    const s = await setup('WL9A0B', { REPLY_ROW_DELAY_MS: '1000' }, dir);
    const pushed = await api(s.relay.http, 'POST', '/api/push', { token: s.user.token, body: commandPacket(deviceToken, s.id, 'ping', 'park000b') });
    expect(pushed.body).toMatchObject({ delivered_via_ws: true });
    expect(open(deviceToken, await s.device.nextText()).request_id).toBe('park000b');
    const closing = s.relay.close();
    s.device.send(responsePacket(deviceToken, s.id, { status: 'success', result: 'pong', request_id: 'park000b' }));
    await closing;
    relays.splice(relays.indexOf(s.relay), 1);
    expect(rows(s.relay.dbFile)).toEqual({ commands: 0, replies: 1 });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('F1: a relay killed while a reply is parked', () => {
  const dir = tempDir('wl-parked-kill-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('re-sends the answered command after the restart (its row was kept), same bytes', async () => {
    const env = { CLOUD_PORT: '0', DATABASE_FILE: join(dir, 'relay.db'), SECRET_KEY: TEST_SECRET, REPLY_ROW_DELAY_MS: '1000' };
    const first = await waitListening(spawnRelay(env));
    const user = await registerUser(first.http);
    const id = 'WL9A08';
    await registerDevice(first.http, user.token, id);
    const before = await connectDevice(first.ws, id, user.token);
    const pushed = await api(first.http, 'POST', '/api/push', { token: user.token, body: commandPacket(deviceToken, id, 'wake', 'kill0008') });
    expect(pushed.body).toMatchObject({ delivered_via_ws: true });
    const sent = await before.probe.nextText();
    before.probe.send(responsePacket(deviceToken, id, { status: 'success', result: 'wol_sent', request_id: 'kill0008' }));
    await sleep(100);
    expect(rows(env.DATABASE_FILE)).toEqual({ commands: 1, replies: 0 });
    const second = await crashAndRestart(first, env);
    await before.probe.closed;
    try {
      const after = await connectDevice(second.ws, id, user.token);
      expect(await after.probe.nextText()).toBe(sent);
      after.probe.close();
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 30_000);
});
