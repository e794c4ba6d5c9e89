/**
 * The v1.0 CLI's forms (spec 6.2) typed at the real `wakelink` bin, against a loopback LAN
 * responder and the real relay: they must do what the v1.0 CLI did, beside the --flag forms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startResponder, type Responder } from './helpers/line-responder';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { runBin } from './helpers/run-cli';
import { tempDir } from './helpers/temp';
import { connectWsDevice, type WsDevice } from './helpers/ws-device';

const TOKEN = 'V1GrammarToken-0123456789abcdefghijklmnopqrstuvwxyz';
const DEVICE_ID = 'WL71A2B3';
const MAC = '0A:1B:2C:3D:4E:5F';

function devices(home: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(home, 'devices.json'), 'utf8'));
}

describe('v1.0 grammar end to end (real bin, loopback responder, real relay)', () => {
  let relay: TestRelay;
  let apiToken: string;
  let lan: Responder;
  let lan2: Responder;
  let device: WsDevice;
  let home: string;

  beforeAll(async () => {
    relay = await startTestRelay();
    apiToken = await createAccount(relay, 'v1user', 'v1 user password 1234');
    lan = await startResponder({ token: TOKEN, deviceId: DEVICE_ID });
    lan2 = await startResponder({ token: TOKEN, deviceId: DEVICE_ID });
    home = tempDir('wl-cli-v1-');
  });
  afterAll(async () => {
    await device?.close();
    await lan?.close();
    await lan2?.close();
    await relay?.close();
  });

  it('`add NAME token T ip I port P` saves the same entry as the --flag form', async () => {
    const v1 = await runBin(['add', 'desk', 'token', TOKEN, 'ip', '127.0.0.1', 'port', String(lan.port)], home);
    expect(v1.code, v1.stderr).toBe(0);
    const flags = await runBin(['add', 'desk-flags', '--token', TOKEN, '--ip', '127.0.0.1', '--port', String(lan.port)], home);
    expect(flags.code, flags.stderr).toBe(0);
    const saved = devices(home);
    const { added: a, device_id: ida, ...viaWords } = saved.desk!;
    const { added: b, device_id: idb, ...viaFlags } = saved['desk-flags']!;
    expect(viaWords).toEqual(viaFlags);
    expect(Object.keys(saved.desk!)).toEqual(Object.keys(saved['desk-flags']!));
    expect([ida, idb, typeof a, typeof b]).toEqual(['desk', 'desk-flags', 'number', 'number']);
    expect(viaWords).toMatchObject({ token: TOKEN, ip: '127.0.0.1', port: lan.port, cloud: false });
  });

  it('`NAME ping` and `update NAME port P` (then the device answers on the new port)', async () => {
    const ping = await runBin(['desk', 'ping'], home);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toContain(`via tcp 127.0.0.1:${lan.port}: success`);
    const update = await runBin(['update', 'desk', 'port', String(lan2.port)], home);
    expect(update.code, update.stderr).toBe(0);
    expect(devices(home).desk!.port).toBe(lan2.port);
    const before = lan2.received.length;
    const again = await runBin(['desk', 'ping'], home);
    expect(again.code, again.stderr).toBe(0);
    expect(lan2.received.length).toBe(before + 1);
  });

  it('flag style: --device=NAME --ping, --device NAME --info, -d NAME --wake=MAC, NAME --wake MAC', async () => {
    for (const [args, command, data] of [
      [['--device=desk', '--ping'], 'ping', {}],
      [['--device', 'desk', '--info'], 'info', {}],
      [['-d', 'desk', `--wake=${MAC}`], 'wake', { mac: MAC }],
      [['desk', '--wake', MAC.toLowerCase()], 'wake', { mac: MAC }],
      [['--device=desk', '--crypto-info'], 'crypto_info', {}],
    ] as const) {
      const run = await runBin([...args, '--json'], home);
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, device: 'desk', command });
      expect(lan2.received.at(-1)).toMatchObject({ command, data });
    }
  });

  it('`register NAME device-id ID api-token A http-url URL token T`, then the transport as a trailing word: tcp, http, wss', async () => {
    const register = await runBin(['register', 'pico', 'device-id', DEVICE_ID, 'api-token', apiToken, 'http-url', relay.http, 'token', TOKEN], home);
    expect(register.code, register.stderr).toBe(0);
    expect(devices(home).pico).toMatchObject({ token: TOKEN, device_id: DEVICE_ID, http_url: relay.http, wss_url: relay.ws, api_token: apiToken, cloud: true });
    device = await connectWsDevice(relay.ws, DEVICE_ID, apiToken, { token: TOKEN });
    // The same board on the LAN too; a device with a relay URL goes through the relay unless told otherwise.
    expect((await runBin(['update', 'pico', 'ip', '127.0.0.1', 'port', String(lan.port)], home)).code).toBe(0);
    const viaRelay = await runBin(['pico', 'ping', '--json'], home);
    expect(JSON.parse(viaRelay.stdout)).toMatchObject({ ok: true, via: `http ${relay.http}` });
    for (const [args, via] of [
      [['pico', 'ping', 'tcp'], `tcp 127.0.0.1:${lan.port}`],
      [['pico', 'info', 'local'], `tcp 127.0.0.1:${lan.port}`],
      [['pico', 'info', 'wss'], `wss ${relay.ws}`],
      [['ping', 'pico', 'http'], `http ${relay.http}`],
      [['pico', 'wake', MAC, 'mode', 'wss'], `wss ${relay.ws}`],
    ] as const) {
      const run = await runBin([...args, '--json'], home);
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
      expect(JSON.parse(run.stdout), args.join(' ')).toMatchObject({ ok: true, device: 'pico', via });
    }
    // One-shot: nothing about the transport was saved.
    expect(devices(home).pico).not.toHaveProperty('protocol');
  });

  it('cloud-list / --cloud-list-devices show the relay\'s devices in columns; --delete-device=NAME unregisters and keeps the token', async () => {
    expect((await runBin(['login', '--relay', relay.http, '--api-token', apiToken], home)).code).toBe(0);
    for (const args of [['cloud-list'], ['--cloud-list-devices'], ['cloud-ls', 'api-token', apiToken]]) {
      const run = await runBin(args, home);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`v1user on ${relay.http}: 1 of 5 devices`);
      expect(lines[1]).toMatch(/^DEVICE ID +ONLINE +LAST SEEN +POLLS +SAVED AS$/);
      expect(lines[2]!.split(/ {2,}/)).toEqual([DEVICE_ID, 'yes', expect.stringMatching(/^\d{4}-/), expect.stringMatching(/^\d+$/), 'pico']);
    }
    const removed = await runBin(['--delete-device=pico', '--json'], home);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ ok: true, device: 'pico', device_id: DEVICE_ID });
    const listed = await fetch(`${relay.http}/api/devices`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(JSON.stringify(await listed.json())).not.toContain(DEVICE_ID);
    const pico = devices(home).pico!;
    expect(pico).toMatchObject({ token: TOKEN, ip: '127.0.0.1', cloud: false });
    for (const key of ['http_url', 'wss_url', 'api_token', 'protocol']) expect(pico).not.toHaveProperty(key);
    const ping = await runBin(['pico', 'ping'], home);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toContain('via tcp');
  });

  it('--list-devices and --remove-device=NAME', async () => {
    const list = await runBin(['--list-devices'], home);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME +DEVICE ID +VIA +ADDRESS +TOKEN$/);
    const remove = await runBin(['--remove-device=desk-flags'], home);
    expect(remove.code, remove.stderr).toBe(0);
    expect(Object.keys(devices(home))).toEqual(['desk', 'pico']);
  });

  it('a v1.0 line this CLI cannot place fails with exit 2 naming the word, and changes nothing', async () => {
    const before = readFileSync(join(home, 'devices.json'), 'utf8');
    const run = await runBin(['update', 'desk', 'port', '5', 'bogus'], home);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot tell what "bogus" is');
    expect(readFileSync(join(home, 'devices.json'), 'utf8')).toBe(before);
  });
});
