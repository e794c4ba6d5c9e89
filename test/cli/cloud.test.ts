import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectWsDevice, type WsDevice } from './helpers/ws-device';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { runBin } from './helpers/run-cli';
import { closedPort } from './helpers/closed-port';
import { tempDir } from './helpers/temp';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'CloudDeviceToken-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP';
const NEXT_TOKEN = 'Rotated'.repeat(8) + '0123456789abcdef';
const DEVICE_ID = 'WLC11A01';

function readJson(path: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('wakelink against the real relay (subprocess; device side = minimal v1.0 WS client on shared/)', () => {
  let relay: TestRelay;
  let apiToken: string;
  let home: string;
  let device: WsDevice | undefined;

  beforeAll(async () => {
    relay = await startTestRelay();
    apiToken = await createAccount(relay, 'alice', PASSWORD);
    home = tempDir('wl-cli-cloud-');
  });
  afterAll(async () => {
    await device?.close();
    await relay.close();
  });

  it('login with username and password saves a login session (not the password) per relay, mode 0600, printing no token', async () => {
    const run = await runBin(['login', '--relay', relay.http, '--username', 'alice', '--password-stdin'], home, `${PASSWORD}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`logged in to ${relay.http} as alice (session ls_`);
    const relaysFile = join(home, 'relays.json');
    expect(statSync(relaysFile).mode & 0o777).toBe(0o600);
    const saved = readJson(relaysFile);
    expect(saved.default).toBe(relay.http);
    const credential = (saved.relays as Record<string, Record<string, unknown>>)[relay.http]!;
    expect(credential).toMatchObject({ kind: 'session', username: 'alice', session_id: expect.stringMatching(/^ls_/) });
    expect(String(credential.refresh_token)).toMatch(/^rt_/);
    expect(readFileSync(relaysFile, 'utf8')).not.toContain(PASSWORD);
    for (const secret of [credential.refresh_token, credential.access_token]) expect(run.stdout + run.stderr).not.toContain(String(secret));
    // The saved access token really works on the relay.
    const devices = await fetch(`${relay.http}/api/devices`, { headers: { authorization: `Bearer ${String(credential.access_token)}` } });
    expect(devices.status).toBe(200);
  });

  it('login failures: wrong password and a bogus API token are relay auth errors (exit 5)', async () => {
    const other = tempDir('wl-cli-cloud-');
    const wrong = await runBin(['login', '--relay', relay.http, '--username', 'alice', '--password-stdin'], other, 'not the password\n');
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('wrong username or password');
    const bogus = await runBin(['login', '--relay', relay.http, '--api-token', 'sk-bogus', '--json'], other);
    expect(bogus.code).toBe(5);
    expect(JSON.parse(bogus.stdout).error.code).toBe('RELAY_AUTH');
    expect(readdirSync(other)).toEqual([]);
  });

  it('register uses the logged-in relay, saves a v1.0 cloud entry and never gives the relay the device token', async () => {
    const run = await runBin(['register', 'desk', '--device-id', DEVICE_ID, '--token', TOKEN], home);
    expect(run.code, run.stderr).toBe(0);
    const entry = readJson(join(home, 'devices.json')).desk!;
    expect(entry).toMatchObject({ token: TOKEN, cloud: true, device_id: DEVICE_ID, http_url: relay.http, wss_url: relay.ws });
    expect(String(entry.api_token)).toMatch(/^sk-/);
    const listed = await fetch(`${relay.http}/api/devices`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(JSON.stringify(await listed.json())).toContain(DEVICE_ID);
    const registration = relay.requests.filter((line) => line.startsWith('POST /api/register_device'));
    expect(registration).toEqual([`POST /api/register_device {"device_id":"${DEVICE_ID}","device_data":{"name":"desk"}}`]);
    for (const line of relay.requests) expect(line).not.toContain(TOKEN);
    for (const file of readdirSync(relay.dir)) expect(readFileSync(join(relay.dir, file)).includes(TOKEN), file).toBe(false);
  });

  it('registering a device id another user owns fails with the relay\'s reason (exit 1), nothing saved', async () => {
    const bobToken = await createAccount(relay, 'bob', 'bob password 12345');
    const bobHome = tempDir('wl-cli-cloud-');
    const run = await runBin(['register', 'mine', '--device-id', DEVICE_ID, '--relay', relay.http, '--api-token', bobToken], bobHome);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/registering WLC11A01 failed \(HTTP 409/);
    expect(readdirSync(bobHome)).toEqual([]);
  });

  it('http: push + long poll reaches the device, replies are matched, exit 0', async () => {
    device = await connectWsDevice(relay.ws, DEVICE_ID, apiToken, { token: TOKEN, nextToken: NEXT_TOKEN });
    const ping = await runBin(['ping', 'desk', '--timeout', '10'], home);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toContain(`via http ${relay.http}: success`);
    const wake = await runBin(['wake', 'desk', '00:11:22:33:44:55', '--json'], home);
    expect(wake.code, wake.stderr).toBe(0);
    expect(JSON.parse(wake.stdout)).toMatchObject({ ok: true, command: 'wake', via: `http ${relay.http}`, response: { result: 'wol_sent', mac: '00:11:22:33:44:55' } });
    expect(device.received.at(-1)).toMatchObject({ command: 'wake', data: { mac: '00:11:22:33:44:55' } });
  });

  it('wss: auth frame, welcome, ACK and reply matched by request_id; update-token saves the new token', async () => {
    const info = await runBin(['info', 'desk', '--via', 'wss', '--json'], home);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ ok: true, via: `wss ${relay.ws}`, response: { device_id: DEVICE_ID, status: 'success' } });
    const rotate = await runBin(['update-token', 'desk', '--via=wss'], home);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout + rotate.stderr).not.toContain(NEXT_TOKEN);
    expect(readJson(join(home, 'devices.json')).desk!.token).toBe(NEXT_TOKEN);
  });

  it('a token mismatch through the relay is reported as a failed signature check (exit 6), on http and wss', async () => {
    // The device still holds TOKEN (the helper does not rotate); devices.json now has NEXT_TOKEN.
    for (const via of ['http', 'wss']) {
      const run = await runBin(['ping', 'desk', '--via', via, '--timeout', '10'], home);
      expect(run.code, `${via}: ${run.stderr}`).toBe(6);
      expect(run.stderr).toContain('signature check failed');
    }
  });

  it('a rejected API token is a relay auth failure (exit 5) on http and wss', async () => {
    const run = await runBin(['update', 'desk', '--api-token', 'sk-not-a-real-token', '--token', TOKEN], home);
    expect(run.code, run.stderr).toBe(0);
    for (const via of ['http', 'wss']) {
      const ping = await runBin(['ping', 'desk', '--via', via, '--json', '--timeout', '10'], home);
      expect(ping.code, `${via}: ${ping.stdout}`).toBe(5);
      expect(JSON.parse(ping.stdout).error.code).toBe('RELAY_AUTH');
    }
  });

  it('an offline device: the relay queues the command and the CLI says so (exit 7, not success)', async () => {
    const run = await runBin(['register', 'spare', '--device-id', 'WLC11A02', '--token', TOKEN], home);
    expect(run.code, run.stderr).toBe(0);
    for (const via of ['http', 'wss']) {
      const ping = await runBin(['ping', 'spare', '--via', via], home);
      expect(ping.code, `${via}: ${ping.stderr}`).toBe(7);
      expect(ping.stderr).toContain('is offline');
    }
  });

  it('relay not running: connection refused, exit 3', async () => {
    const port = await closedPort();
    const deadHome = tempDir('wl-cli-cloud-');
    const add = await runBin(['add', 'far', '--token', TOKEN, '--relay', `http://127.0.0.1:${port}`, '--api-token', 'sk-x'], deadHome);
    expect(add.code, add.stderr).toBe(0);
    for (const via of ['http', 'wss']) {
      const ping = await runBin(['ping', 'far', '--via', via], deadHome);
      expect(ping.code, via).toBe(3);
      expect(ping.stderr).toContain(`connection refused by`);
    }
  });
});
