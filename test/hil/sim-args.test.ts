/** The simulator's command line and its loopback guards, without starting anything. */
import { describe, expect, it } from 'vitest';
import { chipIdFromDeviceId, parseSimArgs } from '../../sim/args';
import { isLoopbackAddress, isLoopbackHost, parseHostPort } from '../../sim/loopback';

describe('sim command line', () => {
  it('parses the documented example', () => {
    const token = 'A'.repeat(96);
    const args = parseSimArgs([
      '--device-id', 'WL1A2B3C', '--token', token, '--relay', 'ws://127.0.0.1:9009', '--api-token', 'sk-abc',
      '--lan-port', '9999', '--wol', '127.0.0.1:40000', '--state', './sim-state', '--engine', 'xs',
    ]);
    expect(args).toMatchObject({
      deviceId: 'WL1A2B3C', token, relayUrl: 'ws://127.0.0.1:9009', apiToken: 'sk-abc', lanPort: 9999,
      wol: { host: '127.0.0.1', port: 40000 }, stateDir: './sim-state', engine: 'xs', profile: 'host',
    });
  });

  it('defaults: node engine, LAN port 9999, magic packets to 127.0.0.1:40000, no relay', () => {
    expect(parseSimArgs([])).toEqual({
      lanPort: 9999, httpPort: 0, wol: { host: '127.0.0.1', port: 40000 }, engine: 'node', profile: 'host', help: false,
    });
    expect(parseSimArgs(['--wol=[::1]:9']).wol).toEqual({ host: '::1', port: 9 });
  });

  it('maps device ids to chip ids exactly as the firmware derives them', () => {
    expect(chipIdFromDeviceId('WL1A2B3C')).toBe(0x1a2b3c);
    expect(chipIdFromDeviceId('WL0')).toBe(0);
    for (const bad of ['WL01', 'wl1a', 'WL1a2b', 'WL123456789', 'XX12', 'WL']) expect(() => chipIdFromDeviceId(bad)).toThrow(RangeError);
  });

  it('refuses every non-loopback destination', () => {
    for (const wol of ['255.255.255.255:9', '192.168.1.255:9', '10.0.0.1:9', '0.0.0.0:9', 'localhost:9', '[fe80::1]:9', 'example.com:9']) {
      expect(() => parseSimArgs(['--wol', wol]), wol).toThrow(RangeError);
    }
    for (const relay of ['ws://192.168.1.2:9009', 'wss://relay.example.com', 'relay.example.com', 'ftp://127.0.0.1']) {
      expect(() => parseSimArgs(['--relay', relay]), relay).toThrow(RangeError);
    }
    expect(() => parseSimArgs(['--bogus', '1'])).toThrow(/unknown option/);
    expect(() => parseSimArgs(['--lan-port'])).toThrow(/needs a value/);
  });

  it('knows loopback when it sees it', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackAddress)).toBe(true);
    expect(['128.0.0.1', '::2', '::ffff:10.0.0.1', 'localhost', ''].some(isLoopbackAddress)).toBe(false);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(() => parseHostPort('127.0.0.1', '--wol')).toThrow(/must look like/);
    expect(() => parseHostPort('127.0.0.1:0', '--wol')).toThrow(/1\.\.65535/);
  });
});
