/**
 * Several v1.0 HTTP clients of one account (issue 12 item 6; v1.0 flaw B13): every pull returned
 * and deleted all of a device's replies, so one client's pull took the other's reply and the other
 * timed out. A reply now belongs to the client whose push it answers: the same keep-alive
 * connection (the Python CLI's requests.Session), the same `client_id`, or, behind a trusted
 * proxy, the same client address. A pull on a fresh connection (Android never closes its push
 * response) takes replies of its own address that no other connection of it is owed.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectDevice, type WsProbe } from './helpers/ws';

const deviceToken = newDeviceToken();
let relay: RunningRelay | undefined;
const agents: http.Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await relay?.close();
  relay = undefined;
});

/** A v1.0 HTTP client: one keep-alive connection for push and pull, like a requests.Session. */
class V1HttpClient {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly base: string, private readonly token: string, private readonly headers: Record<string, string> = {}) {
    agents.push(this.agent);
  }

  post(path: string, body: unknown, options: { agent?: http.Agent; read?: boolean } = {}): Promise<{ status: number; body: any }> {
    const url = new URL(path, this.base);
    const text = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(url, {
        method: 'POST', agent: options.agent ?? this.agent,
        headers: { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: `Bearer ${this.token}` },
      }, (response) => {
        // Android reads only the status of its push and never closes the response.
        if (options.read === false) return resolve({ status: response.statusCode ?? 0, body: null });
        let data = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (data += chunk)).on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: data === '' ? null : JSON.parse(data) });
        });
      });
      request.on('error', reject);
      request.end(text);
    });
  }

  push(deviceId: string, requestId: string, options: { clientId?: string; read?: boolean } = {}) {
    const packet = commandPacket(deviceToken, deviceId, 'ping', requestId);
    return this.post('/api/push', { ...packet, direction: 'to_device', ...(options.clientId ? { client_id: options.clientId } : {}) }, options);
  }

  pull(deviceId: string, wait: number, agent?: http.Agent) {
    return this.post('/api/pull', { device_id: deviceId, direction: 'to_client', wait }, agent ? { agent } : {});
  }
}

const requestIds = (body: any): string[] => (body.messages as { device_id: string; payload: string; signature: string }[])
  .map((m) => String(open(deviceToken, { device_id: m.device_id, payload: m.payload, signature: m.signature, version: '1.0' }).request_id));

async function answerNext(device: WsProbe, deviceId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push(String(open(deviceToken, await device.nextText()).request_id));
  for (const id of ids) device.send(responsePacket(deviceToken, deviceId, { status: 'success', result: 'pong', request_id: id }));
  await new Promise((r) => setTimeout(r, 100));
  return ids;
}

describe('several v1.0 HTTP clients of one account (B13, issue 12 item 6)', () => {
  it('two clients push, the device answers both, then each pull returns only its own reply', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL2');
    const { probe: device } = await connectDevice(relay.ws, 'WL2', user.token);
    const a = new V1HttpClient(relay.http, user.token);
    const b = new V1HttpClient(relay.http, user.token);
    expect((await a.push('WL2', 'aaaa0001', { clientId: 'cli_WLTWO_aaaa' })).body.delivered_via_ws).toBe(true);
    expect((await b.push('WL2', 'bbbb0001', { clientId: 'cli_WLTWO_bbbb' })).body.delivered_via_ws).toBe(true);
    await answerNext(device, 'WL2', 2);
    const pulledA = await a.pull('WL2', 2);
    const pulledB = await b.pull('WL2', 2);
    expect(requestIds(pulledA.body)).toEqual(['aaaa0001']);
    expect(requestIds(pulledB.body)).toEqual(['bbbb0001']);
    device.close();
  });

  it('both long polls already waiting: each is handed its own reply, not the oldest waiter', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLAA17');
    const { probe: device } = await connectDevice(relay.ws, 'WLAA17', user.token);
    const a = new V1HttpClient(relay.http, user.token);
    const b = new V1HttpClient(relay.http, user.token);
    await a.push('WLAA17', 'aaaa0002');
    await b.push('WLAA17', 'bbbb0002');
    // b's poll is the older waiter; the device answers a's command first (devices answer in order).
    const pullB = b.pull('WLAA17', 5);
    await new Promise((r) => setTimeout(r, 100));
    const pullA = a.pull('WLAA17', 5);
    await new Promise((r) => setTimeout(r, 100));
    const commands = [String(open(deviceToken, await device.nextText()).request_id), String(open(deviceToken, await device.nextText()).request_id)];
    expect(commands).toEqual(['aaaa0002', 'bbbb0002']);
    device.send(responsePacket(deviceToken, 'WLAA17', { status: 'success', request_id: 'aaaa0002' }));
    expect(requestIds((await pullA).body)).toEqual(['aaaa0002']);
    device.send(responsePacket(deviceToken, 'WLAA17', { status: 'success', request_id: 'bbbb0002' }));
    expect(requestIds((await pullB).body)).toEqual(['bbbb0002']);
    device.close();
  });

  it('a client that pulls on a new connection (Android: the push response is never closed) gets its reply; a keep-alive client of the same address keeps its own', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLAD0');
    const { probe: device } = await connectDevice(relay.ws, 'WLAD0', user.token);
    const android = new V1HttpClient(relay.http, user.token);
    const python = new V1HttpClient(relay.http, user.token);
    expect((await android.push('WLAD0', 'andr0001', { read: false })).status).toBe(200);
    await python.push('WLAD0', 'pyth0001');
    await answerNext(device, 'WLAD0', 2);
    // The push connection is still held by the unread response, so the pull opens another one.
    const fresh = new http.Agent({ keepAlive: false });
    agents.push(fresh);
    expect(requestIds((await android.pull('WLAD0', 2, fresh)).body)).toEqual(['andr0001']);
    expect(requestIds((await python.pull('WLAD0', 2)).body)).toEqual(['pyth0001']);
    device.close();
  });

  it('behind a trusted proxy, clients are told apart by their address even over one shared upstream connection', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: '127.0.0.1' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLBB0');
    const { probe: device } = await connectDevice(relay.ws, 'WLBB0', user.token);
    // One connection for both, as a proxy's upstream keep-alive pool would use it.
    const shared = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(shared);
    const a = new V1HttpClient(relay.http, user.token, { 'X-Forwarded-For': '203.0.113.10' });
    const b = new V1HttpClient(relay.http, user.token, { 'X-Forwarded-For': '198.51.100.10' });
    await a.post('/api/push', { ...commandPacket(deviceToken, 'WLBB0', 'ping', 'prxa0001'), direction: 'to_device' }, { agent: shared });
    await b.post('/api/push', { ...commandPacket(deviceToken, 'WLBB0', 'ping', 'prxb0001'), direction: 'to_device' }, { agent: shared });
    await answerNext(device, 'WLBB0', 2);
    expect(requestIds((await b.pull('WLBB0', 2, shared)).body)).toEqual(['prxb0001']);
    expect(requestIds((await a.pull('WLBB0', 2, shared)).body)).toEqual(['prxa0001']);
    device.close();
  });

  it('a reply whose sender is unknown (F14: nothing in flight) still goes to any pull of the owner', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLDD0');
    const { probe: device } = await connectDevice(relay.ws, 'WLDD0', user.token);
    device.send(responsePacket(deviceToken, 'WLDD0', { status: 'success', request_id: 'orphan01' }));
    await new Promise((r) => setTimeout(r, 100));
    const anyone = new V1HttpClient(relay.http, user.token);
    expect(requestIds((await anyone.pull('WLDD0', 1)).body)).toEqual(['orphan01']);
    device.close();
  });
});
