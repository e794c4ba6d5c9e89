import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startResponder, type Responder } from './helpers/line-responder';
import { runBin } from './helpers/run-cli';
import { closedPort } from './helpers/closed-port';
import { tempDir } from './helpers/temp';

const TOKEN = 'WakeLinkExampleToken0123456789abcdefXYZ';
const OTHER_TOKEN = 'AnotherDeviceToken-0123456789abcdefghijk';
const NEXT_TOKEN = 'N'.repeat(48) + 'ext0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';

function homeWith(devices: Record<string, unknown>): string {
  const home = tempDir('wl-cli-');
  writeFileSync(join(home, 'devices.json'), JSON.stringify(devices), { mode: 0o600 });
  return home;
}

function lanEntry(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { token: TOKEN, port, cloud: false, device_id: 'WL35080814', added: 1795333200.35, ip: '127.0.0.1', ...extra };
}

describe('wakelink over TCP (real subprocess, loopback responder)', () => {
  let device: Responder;
  let home: string;

  beforeAll(async () => {
    device = await startResponder({ token: TOKEN, deviceId: 'WL35080814', nextToken: NEXT_TOKEN });
    home = homeWith({ sim: lanEntry(device.port) });
  });
  afterAll(async () => {
    await device.close();
  });

  it('ping prints the reply and exits 0; the inner command is built like v1.0', async () => {
    const run = await runBin(['ping', 'sim'], home);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`ping sim (WL35080814) via tcp 127.0.0.1:${device.port}: success`);
    expect(run.stdout).toContain('result: pong');
    const inner = device.received.at(-1)!;
    expect(Object.keys(inner)).toEqual(['command', 'data', 'request_id', 'timestamp']);
    expect(inner.command).toBe('ping');
    expect(inner.request_id).toMatch(/^[0-9a-f]{8}$/);
    expect(Math.abs(Number(inner.timestamp) - Date.now() / 1000)).toBeLessThan(30);
  });

  it('wake (v1.0 word order and --flag=value) sends the normalised MAC and --json prints one object', async () => {
    const run = await runBin(['sim', 'wol', 'aa-bb-cc-dd-ee-ff', '--secure-on=01:02:03:04:05:06', '--json'], home);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ ok: true, device: 'sim', device_id: 'WL35080814', command: 'wake', response: { status: 'success', result: 'wol_sent', mac: 'AA:BB:CC:DD:EE:FF' } });
    expect(typeof out.request_counter).toBe('number');
    expect(device.received.at(-1)!.data).toEqual({ mac: 'AA:BB:CC:DD:EE:FF', secure_on: '01:02:03:04:05:06' });
  });

  it('site off / web-on / counter reset map to the v1.0 wire commands', async () => {
    for (const [args, command, data] of [
      [['site', 'sim', 'off'], 'web_control', { action: 'disable' }],
      [['web-on', 'sim'], 'web_control', { action: 'enable' }],
      [['counter', 'sim', 'reset'], 'reset_counter', {}],
    ] as const) {
      const run = await runBin([...args, '--timeout', '5'], home);
      expect(run.code, run.stderr).toBe(0);
      expect(device.received.at(-1)).toMatchObject({ command, data });
    }
  });

  it('a malformed MAC is refused locally with exit 2 and nothing is sent', async () => {
    const before = device.received.length;
    const run = await runBin(['wake', 'sim', 'AA:BB:CC:DD:EE'], home);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a MAC address/);
    expect(device.received.length).toBe(before);
  });

  it('update-token saves the new token without printing it and keeps every other key', async () => {
    const rotateHome = homeWith({ sim: lanEntry(device.port, { custom_key: { nested: [1, 2] } }) });
    const run = await runBin(['update-token', 'sim'], rotateHome);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(NEXT_TOKEN);
    const saved = JSON.parse(readFileSync(join(rotateHome, 'devices.json'), 'utf8'));
    expect(saved.sim).toEqual(lanEntry(device.port, { token: NEXT_TOKEN, custom_key: { nested: [1, 2] } }));
  });

  it('a device error reply exits 1 with the device error code', async () => {
    const failing = await startResponder({ token: TOKEN, replies: { web_control: { status: 'error', error: 'CANNOT_DISABLE_IN_AP_MODE', message: 'Web server cannot be disabled in Access Point mode' } } });
    try {
      const errHome = homeWith({ ap: lanEntry(failing.port) });
      const run = await runBin(['site-off', 'ap'], errHome);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('CANNOT_DISABLE_IN_AP_MODE');
      const json = await runBin(['site-off', 'ap', '--json'], errHome);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'DEVICE_ERROR' }, response: { error: 'CANNOT_DISABLE_IN_AP_MODE' } });
    } finally {
      await failing.close();
    }
  });

  it('a device holding another token: signature check failed, exit 6', async () => {
    const stranger = await startResponder({ token: OTHER_TOKEN });
    try {
      const run = await runBin(['ping', 'x'], homeWith({ x: lanEntry(stranger.port) }));
      expect(run.code).toBe(6);
      expect(run.stderr).toMatch(/signature check failed/);
      expect(run.stderr).toMatch(/wakelink update x --token/);
    } finally {
      await stranger.close();
    }
  });

  it('connection refused: exit 3 and a clear message', async () => {
    const port = await closedPort();
    const run = await runBin(['ping', 'gone', '--json'], homeWith({ gone: lanEntry(port) }));
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'CONNECTION_REFUSED' });
    expect(JSON.parse(run.stdout).error.message).toContain(`connection refused by 127.0.0.1:${port}`);
  });

  it('no reply within --timeout: exit 4', async () => {
    const mute = await startResponder({ token: TOKEN, silent: true });
    try {
      const started = Date.now();
      const run = await runBin(['ping', 'mute', '--timeout=1'], homeWith({ mute: lanEntry(mute.port) }));
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/no reply from 127\.0\.0\.1:\d+ within 1 s/);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await mute.close();
    }
  });

  it('unknown device and unknown option are usage errors (exit 2) naming the problem', async () => {
    const unknown = await runBin(['ping', 'nosuch'], home);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no device named "nosuch"');
    const badFlag = await runBin(['ping', 'sim', '--frobnicate'], home);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/frobnicate.*wakelink ping --help/);
    const help = await runBin(['wake', '--help'], home);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: wakelink wake <device> <MAC|target>');
  });
});
