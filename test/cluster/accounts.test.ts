/**
 * Issue 14's records on the shared database (issue 15): login sessions and their rotating refresh
 * tokens, claimed boards with their own credentials, and pairings live in PostgreSQL like the rest
 * of the store, so one instance's login is refreshed on another, a used refresh token is refused
 * everywhere, and a board claimed on one instance is recognised by another.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, registerUser } from '../relay/helpers/http';
import { RedisServer, startInstance, stopInstance, tempDir, until, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

let redis: RedisServer;
let store: ClusterStore;
let a: RelayInstance;
let b: RelayInstance;

beforeAll(async () => {
  redis = await RedisServer.start();
  store = await clusterStoreEnv(tempDir('wl-cluster-accounts-'));
  const env = { REDIS_URL: redis.url, ...store.env };
  [a, b] = await Promise.all([startInstance('a', env), startInstance('b', env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b].filter(Boolean).map((instance) => stopInstance(instance)));
  await redis?.destroy();
  await store?.destroy();
});

/** Frames of one socket, in order, for awaiting a particular one. */
function collect(socket: WebSocket): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return frames;
}

describe('issue 14 records on the shared database', () => {
  it('a login on A is refreshed on B; the used refresh token is then refused on A, revoking the session everywhere', async () => {
    const user = await registerUser(a.http);
    const login = await api(a.http, 'POST', '/auth/login', { body: { username: user.username, password: user.password } });
    expect(login.status).toBe(200);
    const first = String(login.body.refresh_token);
    const refreshed = await api(b.http, 'POST', '/auth/refresh', { body: { refresh_token: first } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first);
    const reused = await api(a.http, 'POST', '/auth/refresh', { body: { refresh_token: first } });
    expect(reused.status).toBe(401);
    expect(reused.body.error).toBe('REFRESH_TOKEN_REUSED');
    // The whole family is gone: the successor is refused on either instance.
    const successor = await api(b.http, 'POST', '/auth/refresh', { body: { refresh_token: refreshed.body.refresh_token } });
    expect(successor.status).toBe(401);
  }, 30_000);

  it('logging out on A closes, within a second, a client socket that session opened on B', async () => {
    const user = await registerUser(a.http);
    const login = await api(a.http, 'POST', '/auth/login', { body: { username: user.username, password: user.password } });
    const socket = new WebSocket(`${b.ws}/ws/client/cli_cluster_${randomBytes(4).toString('hex')}`, { headers: { Authorization: `Bearer ${String(login.body.access_token)}` } });
    const frames = collect(socket);
    await until('welcome on B', () => frames.find((f) => f.type === 'welcome'));
    const closed = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    const started = Date.now();
    const out = await api(a.http, 'POST', '/auth/logout', { body: { refresh_token: login.body.refresh_token } });
    expect(out.status).toBe(200);
    expect(await closed).toBe(1008);
    expect(Date.now() - started).toBeLessThan(1500);
  }, 30_000);

  it('a board claimed on A gets its credential there and is accepted with it on B, and refused once revoked', async () => {
    const user = await registerUser(a.http);
    const deviceId = `WLC${randomBytes(3).toString('hex').toUpperCase()}`;
    const claimSocket = new WebSocket(`${a.ws}/ws/claim/${deviceId}`);
    const claimFrames = collect(claimSocket);
    const code = String((await until('claim code', () => claimFrames.find((f) => f.type === 'claim_code'))).code);
    const claimed = await api(a.http, 'POST', '/api/claim', { token: user.token, body: { code, name: 'shelf' } });
    expect(claimed.status).toBe(200);
    const credential = String((await until('credential', () => claimFrames.find((f) => f.type === 'credential'))).credential);
    claimSocket.close();

    const listed = await api(b.http, 'GET', '/api/credentials', { token: user.token });
    expect(listed.body.devices).toEqual([expect.objectContaining({ device_id: deviceId, uses_account_token: false })]);
    const board = new WebSocket(`${b.ws}/ws/${deviceId}`, { headers: { Authorization: `Bearer ${credential}`, 'X-Device-ID': deviceId } });
    const boardFrames = collect(board);
    board.on('open', () => board.send(JSON.stringify({ type: 'auth', token: credential })));
    await until('welcome on B', () => boardFrames.find((f) => f.type === 'welcome'));
    const closed = new Promise<number>((resolve) => board.once('close', (closeCode) => resolve(closeCode)));
    const revoked = await api(a.http, 'DELETE', `/api/devices/${deviceId}/credential`, { token: user.token });
    expect(revoked.status).toBe(200);
    // Revoked on A, the board's socket on B is closed within a second (issue 15: revocation on every instance).
    const started = Date.now();
    expect(await closed).toBe(1008);
    expect(Date.now() - started).toBeLessThan(1500);
  }, 30_000);
});
