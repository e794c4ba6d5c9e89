/**
 * The v1.0 CLI's grammar (spec 6.2) beside this CLI's own: how each v1.0 form is read, that forms
 * which already parse are left alone, and that words which cannot be placed are refused by name.
 * The end-to-end runs of the same forms are in v1-grammar-e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../cli/errors';
import { normaliseV1 } from '../../cli/v1-grammar';

const TOKEN = 'WakeLinkExampleToken0123456789abcdefXYZ';
const saved = new Set(['desk', 'pico']);
const lookup = { isSavedDevice: (word: string) => saved.has(word) };
const read = (line: string) => normaliseV1(line.split(' '), lookup).argv.join(' ');

describe('v1.0 grammar → this CLI (spec 6.2)', () => {
  it('keywords after add / update / register become options', () => {
    expect(read(`add desk token ${TOKEN} ip 192.0.2.10 port 99`)).toBe(`add desk --token=${TOKEN} --ip=192.0.2.10 --port=99`);
    expect(read('update desk port 5000')).toBe('update desk --port=5000');
    expect(read('set desk ip none')).toBe('set desk --ip=none');
    expect(read('edit desk ip - port 0')).toBe('edit desk --ip=- --port=0');
    expect(read(`add pico token ${TOKEN} http-url https://relay.example.org wss-url wss://relay.example.org protocol wss api-token sk-1 device-id WL1A2B3C`))
      .toBe(`add pico --token=${TOKEN} --http-url=https://relay.example.org --wss-url=wss://relay.example.org --protocol=wss --api-token=sk-1 --device-id=WL1A2B3C`);
    expect(read(`add pico token ${TOKEN} httpurl https://r.example wssurl wss://r.example deviceid WL1 apitoken sk-2`))
      .toBe(`add pico --token=${TOKEN} --http-url=https://r.example --wss-url=wss://r.example --device-id=WL1 --api-token=sk-2`);
    expect(read('register pico device-id WL123 api-token sk-xxx')).toBe('register pico --device-id=WL123 --api-token=sk-xxx');
    expect(read('reg pico device-id WL123')).toBe('reg pico --device-id=WL123');
    // register has one relay setting; the v1.0 URL keywords (and a bare URL) both mean it.
    expect(read('register pico device-id WL123 http-url http://127.0.0.1:9009')).toBe('register pico --device-id=WL123 --relay=http://127.0.0.1:9009');
    expect(read('cloud-list api-token sk-1')).toBe('cloud-list --api-token=sk-1');
    expect(read('cloud-ls apitoken sk-1')).toBe('cloud-ls --api-token=sk-1');
    expect(read('unregister desk api-token sk-1')).toBe('unregister desk --api-token=sk-1');
    // Keywords are case-insensitive, as in v1.0; mixed with --flags of either form.
    expect(read(`add desk TOKEN ${TOKEN} --ip 192.0.2.10 Port 99 --json`)).toBe(`add desk --ip 192.0.2.10 --json --token=${TOKEN} --port=99`);
  });

  it('unlabelled words are guessed as v1.0 does: address, port, token, device id, relay URL', () => {
    expect(read(`add desk 192.0.2.10 ${TOKEN} 9999 WL35080814`)).toBe(`add desk --ip=192.0.2.10 --token=${TOKEN} --port=9999 --device-id=WL35080814`);
    expect(read('update desk 192.0.2.11')).toBe('update desk --ip=192.0.2.11');
    expect(read('update desk desk.lan')).toBe('update desk --ip=desk.lan');
    expect(read(`add desk ${TOKEN} https://relay.example.org`)).toBe(`add desk --token=${TOKEN} --relay=https://relay.example.org`);
    // A long token with a dot is still a token, never an address.
    const dotted = `${TOKEN.slice(0, 20)}.${TOKEN.slice(20)}`;
    expect(read(`add desk ${dotted} 192.0.2.10`)).toBe(`add desk --token=${dotted} --ip=192.0.2.10`);
  });

  it('transport words and `mode X` after the device are a one-shot --via; device-first order is kept working', () => {
    expect(read('desk ping tcp')).toBe('ping desk --via=tcp');
    expect(read('ping desk tcp')).toBe('ping desk --via=tcp');
    expect(read('pico info http')).toBe('info pico --via=http');
    expect(read('pico info cloud')).toBe('info pico --via=http');
    expect(read('pico ping wss')).toBe('ping pico --via=wss');
    expect(read('pico ping local')).toBe('ping pico --via=tcp');
    expect(read('pico ping mode wss')).toBe('ping pico --via=wss');
    expect(read('desk wake AA:BB:CC:DD:EE:FF tcp --json')).toBe('wake desk AA:BB:CC:DD:EE:FF --json --via=tcp');
    expect(read('desk tcp ping')).toBe('ping desk --via=tcp');
    expect(read('desk cloud off wss')).toBe('cloud desk off --via=wss');
    expect(read('desk ping tcp --via tcp')).toBe('ping desk --via tcp');
    expect(read('desk ping')).toBe('ping desk');
    expect(read('desk --timeout 5 ping')).toBe('ping desk --timeout 5');
  });

  it('v1.0 flag forms: --device=NAME / --device NAME / -d NAME with a command flag', () => {
    expect(read('--device=desk --ping')).toBe('ping desk');
    expect(read('--device desk --ping')).toBe('ping desk');
    expect(read('-d desk --info')).toBe('info desk');
    expect(read('-ddesk --restart')).toBe('restart desk');
    expect(read('desk --ota-start')).toBe('ota desk');
    expect(read('--open-setup --device=desk')).toBe('setup desk');
    expect(read('--device=desk --enable-site')).toBe('site-on desk');
    expect(read('--device=desk --disable-site')).toBe('site-off desk');
    expect(read('--device=desk --site-status')).toBe('site-status desk');
    expect(read('--device=desk --crypto-info')).toBe('crypto desk');
    expect(read('--device=desk --update-token')).toBe('update-token desk');
    expect(read('--device=desk --wake=AA:BB:CC:DD:EE:FF')).toBe('wake desk AA:BB:CC:DD:EE:FF');
    expect(read('--device desk --wake AA:BB:CC:DD:EE:FF')).toBe('wake desk AA:BB:CC:DD:EE:FF');
    expect(read('desk --wake AA:BB:CC:DD:EE:FF')).toBe('wake desk AA:BB:CC:DD:EE:FF');
    expect(read('--device=desk ping tcp')).toBe('ping desk --via=tcp');
    expect(read(`--add-device=desk --token=${TOKEN} --ip=192.0.2.10 --port=99`)).toBe(`add desk --token=${TOKEN} --ip=192.0.2.10 --port=99`);
    expect(read(`--add-device desk -t ${TOKEN} --ip 192.0.2.10`)).toBe(`add desk --token=${TOKEN} --ip 192.0.2.10`);
    expect(read('--register-device=desk --device-id=WL1 -a sk-1')).toBe('register desk --device-id=WL1 --api-token=sk-1');
    expect(read('--remove-device=desk')).toBe('remove desk');
    expect(read('--list-devices')).toBe('list');
    expect(read('--cloud-list-devices --api-token=sk-1')).toBe('cloud-list --api-token=sk-1');
    expect(read('--delete-device=desk --api-token=sk-1')).toBe('unregister desk --api-token=sk-1');
  });

  it('--cloud / -c are accepted and ignored as in v1.0, with a note saying so', () => {
    const out = normaliseV1(['--device=desk', '--ping', '--cloud'], lookup);
    expect(out.argv).toEqual(['ping', 'desk']);
    expect(out.notes.join('\n')).toMatch(/--cloud is ignored/);
    expect(normaliseV1(['-c', 'desk', 'ping'], lookup).notes.join('\n')).toMatch(/-c \(cloud\) is ignored/);
  });

  it('a help word anywhere asks for help', () => {
    expect(read('desk help')).toBe('--help');
    expect(read('desk ping help')).toBe('ping desk --help');
    expect(read('add help')).toBe('add --help');
  });

  it('lines in this CLI\'s own grammar pass through untouched', () => {
    for (const line of [
      'ping desk', 'ping desk --via wss --json', 'wake desk AA:BB:CC:DD:EE:FF --secure-on 01:02:03:04:05:06',
      `add desk --token ${TOKEN} --ip 192.0.2.10 --port 9`, 'update desk --port=5000', 'login --relay http://127.0.0.1:9009 --username tcp',
      'register desk --device-id WL1 --token tcp', 'site desk on', 'cloud desk status', 'counter desk reset', 'help register', 'list', '--help',
      'ping other', 'frobnicate', 'provision desk --ssid ip',
    ]) {
      expect(normaliseV1(line.split(' '), lookup), line).toEqual({ argv: line.split(' '), notes: [] });
    }
  });

  it('words that cannot be placed are refused by name (nothing is silently dropped)', () => {
    const refused = (line: string) => {
      try {
        normaliseV1(line.split(' '), lookup);
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        return (error as CliError).message;
      }
      throw new Error(`accepted: ${line}`);
    };
    expect(refused('add desk token')).toMatch(/token needs a value/);
    expect(refused('add desk tiny')).toMatch(/cannot tell what "tiny" is/);
    expect(refused('add desk ip 192.0.2.1 192.0.2.2')).toMatch(/--ip is given twice/);
    expect(refused('add desk --port 1 port 2')).toMatch(/--port is given twice/);
    expect(refused('register desk ip 192.0.2.1')).toMatch(/"ip" is not a setting of register/);
    expect(refused('cloud-list WL1A2B3C')).toMatch(/unexpected argument "WL1A2B3C"/);
    expect(refused('desk ping tcp http')).toMatch(/two transports/);
    expect(refused('desk ping tcp --via wss')).toMatch(/two transports/);
    expect(refused('desk ping mode carrier-pigeon')).toMatch(/--via takes tcp, http or wss/);
    expect(refused('desk')).toMatch(/"desk" is a saved device: say what to do with it/);
    expect(refused('--device=desk --ping --info')).toMatch(/give one command, not both --ping and --info/);
    expect(refused('--device')).toMatch(/--device needs a value/);
    expect(refused('--ping=yes')).toMatch(/--ping takes no value/);
  });
});
