import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_TIMEOUT_S, MIN_TIMEOUT_S, parseCommandArgs, parseTimeout, parseVia, splitCommand } from '../../cli/args';
import { DEVICE_COMMANDS, buildWireRequest, findDeviceCommand } from '../../cli/device-commands';
import { CliError } from '../../cli/errors';
import { chooseTransport, relayBases } from '../../cli/store';
import { findCommand } from '../../cli/main';
import { runInProcess } from './helpers/in-process';
import { tempDir } from './helpers/temp';

function wire(words: string[], secureOn?: string) {
  const [word, ...rest] = words;
  const spec = findDeviceCommand(word!);
  if (!spec) throw new Error(`no command ${word}`);
  return buildWireRequest(spec, rest, secureOn);
}

describe('argument parsing', () => {
  it('valued flags work as --flag value and --flag=value (v1.0 bug B15), before or after the command', () => {
    const spaced = parseCommandArgs(['sim', '--port', '9999', '--ip', '10.0.0.2', '--timeout', '3'], { port: { type: 'string' }, ip: { type: 'string' } }, 'update');
    const equals = parseCommandArgs(['sim', '--port=9999', '--ip=10.0.0.2', '--timeout=3'], { port: { type: 'string' }, ip: { type: 'string' } }, 'update');
    expect(spaced.values).toEqual(equals.values);
    expect(spaced.positionals).toEqual(['sim']);
    expect(spaced.flags.timeoutMs).toBe(3000);
    expect(splitCommand(['--json', '--via', 'wss', 'ping', 'sim'])).toEqual({ command: 'ping', rest: ['--json', '--via', 'wss', 'sim'] });
    expect(splitCommand(['--timeout=2', 'wake', 'sim', 'AA:BB:CC:DD:EE:FF'])).toEqual({ command: 'wake', rest: ['--timeout=2', 'sim', 'AA:BB:CC:DD:EE:FF'] });
  });

  it('unknown options, missing values and command options before the command are usage errors', () => {
    expect(() => parseCommandArgs(['sim', '--bogus'], {}, 'ping')).toThrow(/bogus.*wakelink ping --help/);
    expect(() => parseCommandArgs(['sim', '--timeout'], {}, 'ping')).toThrow(CliError);
    expect(() => splitCommand(['--ip', '1.2.3.4', 'add'])).toThrow(/before the command/);
    expect(() => splitCommand(['--via'])).toThrow(/needs a value/);
  });

  it('--timeout and --via are validated', () => {
    expect(parseTimeout('0.5')).toBe(500);
    for (const bad of ['0', '-1', 'abc', '601', '1e3', '']) expect(() => parseTimeout(bad), bad).toThrow(/--timeout/);
    expect(parseVia('local')).toBe('tcp');
    expect(parseVia('HTTP')).toBe('http');
    expect(() => parseVia('carrier-pigeon')).toThrow(/--via takes tcp, http or wss/);
  });

  it('--timeout: the accepted range is exactly the one its message and the help state', async () => {
    const stated = `${MIN_TIMEOUT_S} to ${MAX_TIMEOUT_S} seconds`;
    // Both ends are accepted, and nothing outside them.
    expect(parseTimeout(String(MIN_TIMEOUT_S))).toBe(MIN_TIMEOUT_S * 1000);
    expect(parseTimeout(String(MAX_TIMEOUT_S))).toBe(MAX_TIMEOUT_S * 1000);
    for (const outside of ['0', '0.09', '0.0001', String(MAX_TIMEOUT_S + 0.01), String(MAX_TIMEOUT_S + 1)]) {
      expect(() => parseTimeout(outside), outside).toThrow(`--timeout takes ${stated}`);
    }
    const home = tempDir('wl-args-');
    const run = await runInProcess(['ping', 'x', '--timeout', '0'], home);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--timeout takes ${stated}`);
    expect((await runInProcess(['--help'], home)).stdout).toContain(`--timeout SECONDS   give up after this long (${stated})`);
    expect((await runInProcess(['ping', '--help'], home)).stdout).toContain(`give up after this long, ${stated}`);
  });

  it('every v1.0 device alias (spec 6.2) maps to its wire command', () => {
    const table: Array<[string[], string, Record<string, unknown>]> = [
      [['ping'], 'ping', {}], [['p'], 'ping', {}], [['test'], 'ping', {}],
      [['info'], 'info', {}], [['i'], 'info', {}], [['information'], 'info', {}], [['status'], 'info', {}],
      [['wake', 'aabbccddeeff'], 'wake', { mac: 'AA:BB:CC:DD:EE:FF' }], [['w', 'AA-BB-CC-DD-EE-FF'], 'wake', { mac: 'AA:BB:CC:DD:EE:FF' }],
      [['wol', 'aabb.ccdd.eeff'], 'wake', { mac: 'AA:BB:CC:DD:EE:FF' }], [['wakeonlan', 'AA:BB:CC:DD:EE:FF'], 'wake', { mac: 'AA:BB:CC:DD:EE:FF' }],
      [['restart'], 'restart', {}], [['r'], 'restart', {}], [['reboot'], 'restart', {}], [['reset'], 'restart', {}],
      [['ota'], 'ota_start', {}], [['o'], 'ota_start', {}], [['upgrade'], 'ota_start', {}],
      [['setup'], 'open_setup', {}], [['s'], 'open_setup', {}], [['config-mode'], 'open_setup', {}],
      [['update-token'], 'update_token', {}], [['ut'], 'update_token', {}], [['token-update'], 'update_token', {}], [['refresh-token'], 'update_token', {}],
      [['site-on'], 'web_control', { action: 'enable' }], [['enable-site'], 'web_control', { action: 'enable' }], [['web-on'], 'web_control', { action: 'enable' }],
      [['site-off'], 'web_control', { action: 'disable' }], [['disable-site'], 'web_control', { action: 'disable' }], [['web-off'], 'web_control', { action: 'disable' }],
      [['site'], 'web_control', { action: 'status' }], [['site-status'], 'web_control', { action: 'status' }], [['web-status'], 'web_control', { action: 'status' }],
      [['site', 'on'], 'web_control', { action: 'enable' }], [['site', 'off'], 'web_control', { action: 'disable' }],
      [['cloud-on'], 'cloud_control', { action: 'enable' }], [['enable-cloud'], 'cloud_control', { action: 'enable' }],
      [['cloud-off'], 'cloud_control', { action: 'disable' }], [['disable-cloud'], 'cloud_control', { action: 'disable' }],
      [['cloud-status'], 'cloud_control', { action: 'status' }], [['cloud'], 'cloud_control', { action: 'status' }], [['cloud', 'off'], 'cloud_control', { action: 'disable' }],
      [['crypto'], 'crypto_info', {}], [['crypto-info'], 'crypto_info', {}], [['security'], 'crypto_info', {}],
      [['counter'], 'counter_info', {}], [['counter', 'info'], 'counter_info', {}], [['counter-info'], 'counter_info', {}],
      [['counter', 'reset'], 'reset_counter', {}], [['counter-reset'], 'reset_counter', {}], [['reset-counter'], 'reset_counter', {}],
    ];
    for (const [words, command, data] of table) expect(wire(words), words.join(' ')).toEqual({ command, data });
    expect(wire(['wake', 'AA:BB:CC:DD:EE:FF'], '01-02-03-04-05-06').data).toEqual({ mac: 'AA:BB:CC:DD:EE:FF', secure_on: '01:02:03:04:05:06' });
    // Every command is reachable from the top-level table.
    for (const spec of DEVICE_COMMANDS) for (const word of [spec.name, ...spec.aliases]) expect(findCommand(word)?.name, word).toBe(spec.name);
    // `update` is the management edit (v1.0 alias collision resolved the same way), OTA stays `ota`.
    expect(findCommand('update')?.name).toBe('update');
  });

  it('device command arguments are checked: bad MAC, bad action, extra words, misplaced --secure-on', () => {
    expect(() => wire(['wake'])).toThrow(/needs the MAC/);
    expect(() => wire(['wake', 'AA:BB:CC:DD:EE:GG'])).toThrow(/not a MAC address/);
    expect(() => wire(['wake', 'AA:BB:CC:DD:EE:FF'], '0102')).toThrow(/--secure-on must be 6 bytes/);
    expect(() => wire(['site', 'maybe'])).toThrow(/on, off or status/);
    expect(() => wire(['counter', 'zero'])).toThrow(/info or reset/);
    expect(() => wire(['ping', 'extra'])).toThrow(/unexpected argument "extra"/);
    expect(() => wire(['ping'], '01:02:03:04:05:06')).toThrow(/only applies to wake/);
  });

  it('transport choice follows v1.0: relay URL → cloud (protocol, default http), else tcp; override wins', () => {
    expect(chooseTransport({ ip: '10.0.0.2' })).toBe('tcp');
    expect(chooseTransport({ ip: '10.0.0.2', http_url: 'https://r.example' })).toBe('http');
    expect(chooseTransport({ wss_url: 'wss://r.example', protocol: 'wss' })).toBe('wss');
    expect(chooseTransport({ url: 'wss://r.example' })).toBe('http');
    expect(chooseTransport({ http_url: 'https://r.example' }, 'tcp')).toBe('tcp');
    expect(relayBases({ wss_url: 'ws://127.0.0.1:9009/' })).toEqual({ httpBase: 'http://127.0.0.1:9009', wssBase: 'ws://127.0.0.1:9009' });
    expect(relayBases({ http_url: 'https://r.example', wss_url: 'wss://other.example' })).toEqual({ httpBase: 'https://r.example', wssBase: 'wss://other.example' });
  });

  it('help: no arguments → overview with exit 2, --help → exit 0, `<cmd> --help` and `help <cmd>` show one command', async () => {
    const home = tempDir('wl-args-');
    const none = await runInProcess([], home);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage: wakelink <command>');
    expect((await runInProcess(['--help'], home)).code).toBe(0);
    const one = await runInProcess(['help', 'register'], home);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('never the device token');
    const flag = await runInProcess(['login', '--help'], home);
    expect(flag.stdout).toContain('Usage: wakelink login --relay URL');
    const unknown = await runInProcess(['frobnicate'], home);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('ota help says what the command really does on a WakeLink-XS board (acknowledged, nothing opened)', async () => {
    const home = tempDir('wl-args-');
    const help = await runInProcess(['ota', '--help'], home);
    expect(help.stdout).toContain('A WakeLink-XS board answers ota_ready but opens nothing');
    expect(help.stdout).toContain('over USB with mcconfig');
    expect(help.stdout).not.toMatch(/put the device into OTA/i);
    expect((await runInProcess(['--help'], home)).stdout).toMatch(/ota +send ota_start \(v1\.0 boards open OTA; WakeLink-XS boards only acknowledge it\)/);
  });

  it('v1.0 word order `<device> <command>` works only for saved device names', async () => {
    const home = tempDir('wl-args-');
    writeFileSync(join(home, 'devices.json'), JSON.stringify({ desk: { token: 'x'.repeat(40), port: 1, cloud: false, device_id: 'desk', added: 1, ip: '127.0.0.1' } }));
    const notSaved = await runInProcess(['other', 'ping'], home);
    expect(notSaved.code).toBe(2);
    expect(notSaved.stderr).toContain('unknown command "other"');
    // A word shaped like a MAC is one (and refused when malformed); any other word names a stored target.
    const badMac = await runInProcess(['desk', 'wake', 'AA:BB:CC', '--json'], home);
    expect(badMac.code).toBe(2);
    expect(JSON.parse(badMac.stdout).error.message).toContain('"AA:BB:CC" is not a MAC address');
  });
});
