import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInProcess } from './helpers/in-process';
import { tempDir } from './helpers/temp';

const TOKEN = 'P'.repeat(40) + '0123456789abcdefghijklmnopqrstuvwxyz';
const API = 'sk-provisioning-test-token-0123456789';

function home(): string {
  const dir = tempDir('wl-prov-');
  writeFileSync(join(dir, 'devices.json'), JSON.stringify({
    desk: { token: TOKEN, port: 99, cloud: true, device_id: 'WLC0DE', added: 1, http_url: 'https://relay.example.org', wss_url: 'wss://relay.example.org' },
    fresh: { port: 99, cloud: false, device_id: 'WLBEEF', added: 2, ip: '10.0.0.9' },
  }));
  writeFileSync(join(dir, 'relays.json'), JSON.stringify({ default: 'http://127.0.0.1:9009', relays: {
    'https://relay.example.org': { api_token: API, kind: 'api_token' },
    'http://127.0.0.1:9009': { api_token: 'sk-local', kind: 'api_token' },
  } }));
  return dir;
}

describe('provision', () => {
  it('json: device id, token, relay URL (WebSocket form) and API token; devices.json is not changed', async () => {
    const dir = home();
    const before = readFileSync(join(dir, 'devices.json'), 'utf8');
    const run = await runInProcess(['provision', 'desk', '--format', 'json'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ device_id: 'WLC0DE', device_token: TOKEN, relay_url: 'wss://relay.example.org', api_token: API });
    expect(readFileSync(join(dir, 'devices.json'), 'utf8')).toBe(before);
  });

  it('mcconfig: manifest config keys, quoted values, platform; a board without a saved token says where the token comes from', async () => {
    const dir = home();
    const run = await runInProcess(['provision', 'fresh', '--ssid', "Bob's Wi-Fi", '--platform=esp'], dir);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('# WakeLink-XS board "fresh": device id WLBEEF, relay ws://127.0.0.1:9009');
    expect(lines[1]).toContain('printed by the board on its first boot');
    expect(lines[2]).toBe("mcconfig -d -m -p esp ssid='Bob'\\''s Wi-Fi' password='YOUR-WIFI-PASSWORD' relay_url=ws://127.0.0.1:9009 api_token=sk-local");
  });

  it('--output writes a 0600 file; errors are usage errors', async () => {
    const dir = home();
    const out = join(dir, 'board.json');
    const run = await runInProcess(['provision', 'desk', '--format=json', '--output', out], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8')).device_token).toBe(TOKEN);
    expect((await runInProcess(['provision', 'nobody'], dir)).code).toBe(2);
    expect((await runInProcess(['provision', 'desk', '--format', 'yaml'], dir)).code).toBe(2);
    expect((await runInProcess(['provision', 'desk', '--platform', 'avr'], dir)).code).toBe(2);
    const notLoggedIn = await runInProcess(['provision', 'desk', '--relay', 'https://elsewhere.example'], dir);
    expect(notLoggedIn.code).toBe(5);
    expect(notLoggedIn.stderr).toContain('not logged in to https://elsewhere.example');
  });

  it('register without any relay configured is a usage error that names the fix (no hard-coded public host)', async () => {
    const dir = tempDir('wl-prov-');
    const run = await runInProcess(['register', 'desk', '--device-id', 'WLC0DE', '--token', TOKEN], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no relay given: pass --relay URL');
  });
});
