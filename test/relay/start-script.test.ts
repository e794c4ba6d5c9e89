import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawnRelay, waitListening } from './helpers/child';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { TEST_SECRET, tempDir } from './helpers/relay';
import { connectClient, connectDevice } from './helpers/ws';

const dir = tempDir('wl-start-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// `npm start` runs the relay as compiled JavaScript (dist/relay/main.mjs, built by scripts/build.mjs);
// every other relay test imports the TypeScript. This proves the bundle is the same
// relay: HTTP, dashboard, device and client sockets, a round trip, and a clean SIGTERM.
describe('npm start (the bundled relay)', () => {
  it('serves the API, the dashboard and both sockets, relays a packet and stops cleanly', async () => {
    const relay = await waitListening(
      spawnRelay({ CLOUD_PORT: '0', DATABASE_FILE: join(dir, 'relay.db'), SECRET_KEY: TEST_SECRET }, 'npm-start'),
    );
    // A failed expectation must not leave the relay running after the test.
    onTestFinished(() => {
      if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill('SIGKILL');
    });
    expect(readFileSync('package.json', 'utf8')).toContain('"start": "exec node --enable-source-maps scripts/start-relay.mjs"');
    expect((await api(relay.http, 'GET', '/api/health')).body).toMatchObject({ status: 'healthy', database: 'ok' });
    expect((await fetch(`${relay.http}/login`)).status).toBe(200);
    const user = await registerUser(relay.http);
    const deviceToken = newDeviceToken();
    await registerDevice(relay.http, user.token, 'WL57A271', deviceToken);
    const { probe: device, welcome } = await connectDevice(relay.ws, 'WL57A271', user.token);
    expect(welcome).toMatchObject({ type: 'welcome', device_id: 'WL57A271' });
    const { probe: client } = await connectClient(relay.ws, 'start-client', user.token);
    client.send(commandPacket(deviceToken, 'WL57A271', 'ping', 's1'));
    expect(open(deviceToken, await device.next())).toMatchObject({ command: 'ping', request_id: 's1' });
    device.send(responsePacket(deviceToken, 'WL57A271', { status: 'success', result: 'pong', request_id: 's1' }));
    const frames = [await client.next(), await client.next()];
    const reply = frames.find((frame) => 'payload' in frame);
    expect(open(deviceToken, reply)).toMatchObject({ result: 'pong', request_id: 's1' });
    relay.child.kill('SIGTERM');
    expect((await relay.exited).code).toBe(0);
  }, 30_000);
});
