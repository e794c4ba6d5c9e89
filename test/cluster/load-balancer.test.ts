/**
 * The compose example's load balancer (deploy/cluster/nginx.conf), for real: nginx in front of
 * three relay instances on loopback, round robin with no sticky sessions. Boards and clients that
 * all connect through the one address land on different instances and still reach each other.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser } from '../relay/helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from '../relay/helpers/packets';
import { connectBoard } from '../relay/helpers/routing';
import { connectClient } from '../relay/helpers/ws';
import { findBinary, freePort, RedisServer, startInstance, stopInstance, tempDir, until, type RelayInstance } from './harness';
import { clusterStoreEnv, type ClusterStore } from './store';

const ROOT = resolve(import.meta.dirname, '../..');
const nginxBinary = findBinary('nginx', ['/usr/sbin/nginx']);

let redis: RedisServer;
let store: ClusterStore;
let instances: RelayInstance[] = [];
let nginx: ChildProcess | null = null;
let base = '';

/** deploy/cluster/nginx.conf with the three instances' loopback ports and writable temp paths. */
function nginxConfig(dir: string, listenPort: number, ports: number[]): string {
  let site = readFileSync(join(ROOT, 'deploy/cluster/nginx.conf'), 'utf8').replace('listen 8080;', `listen 127.0.0.1:${listenPort};`);
  ['relay-a', 'relay-b', 'relay-c'].forEach((name, i) => (site = site.replace(`server ${name}:9009`, `server 127.0.0.1:${ports[i]}`)));
  writeFileSync(join(dir, 'site.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => {
    mkdirSync(join(dir, name), { recursive: true });
    return `${name}_temp_path ${join(dir, name)};`;
  }).join(' ');
  const main = join(dir, 'nginx.conf');
  writeFileSync(main, `pid ${join(dir, 'nginx.pid')};\nerror_log stderr;\ndaemon off;\nevents {}\nhttp {\n access_log off;\n ${temp}\n include ${join(dir, 'site.conf')};\n}\n`);
  return main;
}

describe.runIf(nginxBinary !== null)('deploy/cluster/nginx.conf in front of three instances (no sticky sessions)', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    const dir = tempDir('wl-cluster-lb-');
    store = await clusterStoreEnv(dir);
    const env = { REDIS_URL: redis.url, TRUST_PROXY: '127.0.0.1', ...store.env };
    instances.push(await startInstance('a', env));
    instances.push(...(await Promise.all([startInstance('b', env), startInstance('c', env)])));
    const port = await freePort();
    const main = nginxConfig(dir, port, instances.map((instance) => Number(new URL(instance.http).port)));
    const check = spawnSync(nginxBinary!, ['-t', '-p', dir, '-c', main], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    nginx = spawn(nginxBinary!, ['-p', dir, '-c', main], { stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    await until('nginx to answer', async () => (await api(base, 'GET', '/api/health')).status === 200, 10_000);
  }, 90_000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    await Promise.all(instances.map((instance) => stopInstance(instance)));
    await redis?.destroy();
    await store?.destroy();
  });

  it('sockets through one address spread over the instances, and every client reaches every board', async () => {
    const lb = { http: base, ws: base.replace('http://', 'ws://') };
    const user = await registerUser(base);
    const boards = await Promise.all([0, 1, 2].map(async (i) => {
      const deviceId = `WLB0${i}`;
      const token = newDeviceToken();
      const board = await connectBoard(lb, user.token, deviceId);
      board.probe.socket.on('message', (data) => {
        const text = data.toString();
        if (text.includes('"type"')) return;
        board.probe.send(responsePacket(token, deviceId, { status: 'success', request_id: open(token, text).request_id }));
      });
      return { ...board, deviceId, token };
    }));
    // Every instance sees the three boards online before the round trips: a board is reachable from
    // the other instances once its registration is in Redis, a few ms after its welcome (that window
    // is an open point of issue 15, not what this test is about).
    await until('the boards to be registered on every instance', async () => {
      for (const instance of instances) {
        const listed = await api(instance.http, 'GET', '/api/endpoints', { token: user.token });
        const online = (listed.body.endpoints as { device_id?: string; online?: boolean }[]).filter((e) => e.device_id?.startsWith('WLB0') && e.online);
        if (online.length < 3) return false;
      }
      return true;
    });
    const clients = await Promise.all([0, 1, 2].map((i) => connectClient(lb.ws, `cli_lb${i}`, user.token)));
    // Round robin put the six sockets on more than one instance.
    const perInstance = await Promise.all(instances.map(async (instance) => (await api(instance.http, 'GET', '/api/health')).body.websockets as number));
    expect(perInstance.filter((count) => count > 0).length).toBeGreaterThan(1);
    for (const [c, client] of clients.entries()) {
      for (const board of boards) {
        const requestId = `lb${c}${board.deviceId}`;
        client.probe.send(commandPacket(board.token, board.deviceId, 'ping', requestId));
        const frames = [await client.probe.next(), await client.probe.next()];
        expect(frames.find((f) => f.status === 'success')).toMatchObject({ delivered: true });
        expect(open(board.token, frames.find((f) => f.payload !== undefined))).toMatchObject({ request_id: requestId });
      }
    }
    console.log(`nginx round robin: sockets per instance ${perInstance.join('/')}; 9 client×board round trips through it`);
    [...boards.map((b) => b.probe), ...clients.map((c) => c.probe)].forEach((p) => p.close());
  });
});
