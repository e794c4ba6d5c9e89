import { describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceStore } from '../../cli/store';
import { runInProcess } from './helpers/in-process';
import { tempDir } from './helpers/temp';

/** Spec 6.3's example entry, byte for byte as the v1.0 Python CLI writes it, plus cloud/legacy entries and keys we do not know. */
const V1_FILE = JSON.stringify({
  sim: { token: 'WakeLinkExampleToken0123456789abcdefXYZ', port: 9999, cloud: false, device_id: 'sim', added: 1795333200.35, ip: '127.0.0.1' },
  office: {
    token: 'b'.repeat(96), port: 99, cloud: true, device_id: 'WL35080814', added: 1795333300.125,
    api_token: 'a'.repeat(64), http_url: 'https://relay.example.org', wss_url: 'wss://relay.example.org', protocol: 'wss',
    future_field: { nested: [1, 'two', null], flag: true },
  },
  legacy: { token: 'c'.repeat(32), port: 99, cloud: true, device_id: 'WL1A2B3C', added: 1700000000, url: 'wss://old.example.org/' },
  'zz-unknown': 'not a device, written by some other tool',
});

function v1Home(text = V1_FILE, mode = 0o600): string {
  const home = tempDir('wl-store-');
  writeFileSync(join(home, 'devices.json'), text);
  chmodSync(join(home, 'devices.json'), mode);
  return home;
}

function readStore(home: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(home, 'devices.json'), 'utf8'));
}

describe('devices.json in the v1.0 layout (spec 6.3)', () => {
  it('load + save rewrites it without loss: same keys, same order, same values, float `added` intact', () => {
    const home = v1Home();
    DeviceStore.load(home).save();
    const rewritten = readFileSync(join(home, 'devices.json'), 'utf8');
    expect(JSON.stringify(JSON.parse(rewritten))).toBe(V1_FILE);
  });

  it('update changes only the named field; unknown keys and entries survive; file ends 0600 with no temp files', async () => {
    const home = v1Home(V1_FILE, 0o644);
    const run = await runInProcess(['update', 'office', '--ip', '192.0.2.7'], home);
    expect(run.code, run.stderr).toBe(0);
    const before = JSON.parse(V1_FILE);
    const after = readStore(home);
    expect(after.office).toEqual({ ...before.office, ip: '192.0.2.7' });
    expect(Object.keys(after.office!)).toEqual([...Object.keys(before.office), 'ip']);
    for (const name of ['sim', 'legacy', 'zz-unknown']) expect(after[name]).toEqual(before[name]);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(statSync(join(home, 'devices.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(home)).toEqual(['devices.json']);
  });

  it('list chooses transports as v1.0 does and never prints tokens', async () => {
    const home = v1Home();
    const run = await runInProcess(['list', '--json'], home);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    const byName = Object.fromEntries(out.devices.map((d: { name: string }) => [d.name, d]));
    expect(byName.sim).toMatchObject({ transport: 'tcp', ip: '127.0.0.1', port: 9999, token_set: true });
    expect(byName.office).toMatchObject({ transport: 'wss', http_url: 'https://relay.example.org', wss_url: 'wss://relay.example.org', api_token_set: true });
    expect(byName.legacy).toMatchObject({ transport: 'http', http_url: 'https://old.example.org', wss_url: 'wss://old.example.org' });
    const text = await runInProcess(['ls'], home);
    expect(text.stdout).toContain(`"zz-unknown" in ${join(home, 'devices.json')} is not a device entry (left untouched)`);
    for (const out of [run.stdout, text.stdout]) {
      expect(out).not.toContain('WakeLinkExampleToken');
      expect(out).not.toContain('a'.repeat(64));
    }
  });

  it('list prints a header and aligned columns: every column starts at the same place on every row', async () => {
    const home = v1Home();
    writeFileSync(join(home, 'devices.json'), JSON.stringify({
      ...JSON.parse(V1_FILE),
      'a-much-longer-device-name': { port: 99, cloud: false, device_id: 'WLFFFFFFFF', added: 1, ip: '192.0.2.200' },
    }));
    const run = await runInProcess(['list'], home);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const header = lines[0]!;
    expect(header).toMatch(/^NAME +DEVICE ID +VIA +ADDRESS +TOKEN$/);
    const starts = ['DEVICE ID', 'VIA', 'ADDRESS', 'TOKEN'].map((title) => header.indexOf(title));
    const rows = lines.slice(1, 5);
    expect(rows.map((row) => row.split(/ {2,}/)[0])).toEqual(['sim', 'office', 'legacy', 'a-much-longer-device-name']);
    for (const row of rows) {
      for (const start of starts) {
        expect(row[start - 1], `${row} @${start}`).toBe(' ');
        expect(row[start - 2], `${row} @${start}`).toBe(' ');
        expect(row[start], `${row} @${start}`).not.toBe(' ');
      }
    }
    const cells = (name: string) => rows.find((row) => row.startsWith(`${name} `))!.split(/ {2,}/);
    expect(cells('sim')).toEqual(['sim', 'sim', 'tcp', '127.0.0.1:9999', 'saved']);
    expect(cells('office')).toEqual(['office', 'WL35080814', 'wss', 'wss://relay.example.org', 'saved']);
    expect(cells('a-much-longer-device-name')).toEqual(['a-much-longer-device-name', 'WLFFFFFFFF', 'tcp', '192.0.2.200:99', 'missing']);
    expect(lines[5]).toContain('"zz-unknown"');
  });

  it('update clears fields with none/clear/- and port 0, as v1.0 does', async () => {
    const home = v1Home();
    expect((await runInProcess(['set', 'sim', '--ip=none', '--port', '0', '--relay', 'http://127.0.0.1:9009'], home)).code).toBe(0);
    const sim = readStore(home).sim!;
    expect(sim.ip).toBeUndefined();
    expect(sim.port).toBeUndefined();
    expect(sim).toMatchObject({ http_url: 'http://127.0.0.1:9009', wss_url: 'ws://127.0.0.1:9009', cloud: true });
    expect((await runInProcess(['edit', 'office', '--api-token', '-', '--protocol', 'clear'], home)).code).toBe(0);
    expect(readStore(home).office).not.toHaveProperty('api_token');
    expect(readStore(home).office).not.toHaveProperty('protocol');
  });

  it('add writes the v1.0 key order; refuses duplicates, short tokens and missing addresses without touching the file', async () => {
    const home = v1Home();
    const added = await runInProcess(['add', 'desk', '--token', 'd'.repeat(40), '--ip', '10.0.0.5', '--device-id', 'WLAB12'], home);
    expect(added.code, added.stderr).toBe(0);
    const desk = readStore(home).desk!;
    expect(Object.keys(desk)).toEqual(['token', 'port', 'cloud', 'device_id', 'added', 'ip']);
    expect(desk).toMatchObject({ token: 'd'.repeat(40), port: 99, cloud: false, device_id: 'WLAB12', ip: '10.0.0.5' });
    expect(typeof desk.added).toBe('number');

    const snapshot = readFileSync(join(home, 'devices.json'), 'utf8');
    for (const args of [
      ['add', 'desk', '--token', 'e'.repeat(40), '--ip', '10.0.0.6'],
      ['add', 'short', '--token', 'tooshort', '--ip', '10.0.0.6'],
      ['add', 'nowhere', '--token', 'e'.repeat(40)],
      ['add', 'badport', '--token', 'e'.repeat(40), '--ip', '10.0.0.6', '--port', '70000'],
      ['update', 'desk'],
      ['update', 'ghost', '--ip', '10.0.0.9'],
    ]) {
      const run = await runInProcess(args, home);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^wakelink: /);
    }
    expect(readFileSync(join(home, 'devices.json'), 'utf8')).toBe(snapshot);
  });

  it('refuses the names __proto__, constructor and prototype in add (exit 2) without touching the file', async () => {
    const home = v1Home();
    const snapshot = readFileSync(join(home, 'devices.json'), 'utf8');
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const run = await runInProcess(['add', name, '--token', 'e'.repeat(40), '--ip', '10.0.0.6'], home);
      expect(run.code, name).toBe(2);
      expect(run.stderr).toContain(`"${name}" cannot be used as a device name`);
    }
    expect(readFileSync(join(home, 'devices.json'), 'utf8')).toBe(snapshot);
  });

  it('a devices.json that already holds a "__proto__" entry keeps it verbatim through load, add, update and save', async () => {
    const file = '{"__proto__":{"token":"' + 'p'.repeat(40) + '","port":99,"ip":"10.0.0.7","extra":1},"sim":{"token":"' + 's'.repeat(40) + '","ip":"127.0.0.1"}}';
    const home = v1Home(file);
    const store = DeviceStore.load(home);
    expect(store.names()).toEqual(['__proto__', 'sim']);
    store.save();
    expect(JSON.stringify(readStore(home))).toBe(file);
    expect((await runInProcess(['add', 'desk', '--token', 'd'.repeat(40), '--ip', '10.0.0.5'], home)).code).toBe(0);
    const update = await runInProcess(['update', '__proto__', '--ip', '10.0.0.8'], home);
    expect(update.code, update.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(home, 'devices.json'), 'utf8'), (key, value) => value) as Record<string, unknown>;
    expect(Object.keys(after)).toEqual(['__proto__', 'sim', 'desk']);
    expect(Object.getOwnPropertyDescriptor(after, '__proto__')!.value).toMatchObject({ token: 'p'.repeat(40), port: 99, ip: '10.0.0.8', extra: 1 });
    expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
  });

  it('remove deletes one entry and keeps the rest', async () => {
    const home = v1Home();
    expect((await runInProcess(['rm', 'legacy'], home)).code).toBe(0);
    const after = readStore(home);
    expect(Object.keys(after)).toEqual(['sim', 'office', 'zz-unknown']);
  });

  it('a corrupt devices.json is reported (exit 2) and left exactly as it was', async () => {
    const home = v1Home('{"sim": {"token": ');
    const run = await runInProcess(['add', 'x', '--token', 'f'.repeat(40), '--ip', '10.0.0.1'], home);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/devices\.json is not valid JSON.*nothing was changed/);
    expect(readFileSync(join(home, 'devices.json'), 'utf8')).toBe('{"sim": {"token": ');
  });

  it('a missing WAKELINK_HOME directory is created 0700 with devices.json 0600', async () => {
    const home = join(tempDir('wl-store-'), 'nested', 'wakelink');
    const run = await runInProcess(['add', 'x', '--token', 'f'.repeat(40), '--ip', '10.0.0.1'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'devices.json')).mode & 0o777).toBe(0o600);
  });
});
