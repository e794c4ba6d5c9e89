/**
 * A board slower than the relay's timeouts, across instances (issue 15 with issue 17's deferred
 * in-flight rows): a command forwarded to the board's instance is answered there at the row's
 * commit, never held until the board replies, so the client's instance does not give up on it,
 * queue it a second time, and drop the reply when it comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../relay/helpers/packets';
import { connectBoard } from '../relay/helpers/routing';
import { connectClient } from '../relay/helpers/ws';
import { RedisServer, sleep, startInstance, stopInstance, tempDir, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

let redis: RedisServer;
let store: ClusterStore;
let a: RelayInstance;
let b: RelayInstance;
let user: TestUser;

beforeAll(async () => {
  redis = await RedisServer.start();
  store = await clusterStoreEnv(tempDir('wl-cluster-slow-'));
  // A long row delay and a short wait for other instances: a held forward would time out.
  const env = { REDIS_URL: redis.url, ...store.env, INFLIGHT_ROW_DELAY_MS: '1000', REDIS_REQUEST_TIMEOUT_MS: '300' };
  [a, b] = await Promise.all([startInstance('a', env), startInstance('b', env)]);
  user = await registerUser(a.http);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b].filter(Boolean).map((instance) => stopInstance(instance)));
  await redis?.destroy();
  await store?.destroy();
});

describe('cluster: a board slower than REDIS_REQUEST_TIMEOUT_MS', () => {
  it('the client on A gets delivered:true and the reply 600 ms later; the board gets the command once', async () => {
    const deviceId = 'WL5B0B01';
    const token = newDeviceToken();
    const board = await connectBoard(b, user.token, deviceId);
    const received: string[] = [];
    board.probe.socket.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"type"')) return;
      const requestId = String(open(token, text).request_id);
      received.push(requestId);
      setTimeout(() => board.probe.send(responsePacket(token, deviceId, { status: 'success', request_id: requestId })), 600);
    });
    const client = await connectClient(a.ws, 'cli_slow', user.token);
    client.probe.send(commandPacket(token, deviceId, 'wake', 'slow1'));
    const frames = [await client.probe.next(3000), await client.probe.next(3000)];
    expect(frames.find((f) => f.status === 'success')).toMatchObject({ delivered: true, queued: false });
    expect(open(token, frames.find((f) => f.payload !== undefined))).toMatchObject({ request_id: 'slow1' });
    await sleep(500);
    expect(received).toEqual(['slow1']);
    client.probe.close();
    board.probe.close();
  });
});
