/** Cloud link (spec 4.2): URL rules, auth, frame filtering, backoff, heartbeat, B6, F17, F18. */
import { describe, expect, it } from 'vitest';
import { buildRelayEndpoint } from '../../firmware/cloud/url';
import { Backoff } from '../../firmware/cloud/backoff';
import { CLOUD_HEARTBEAT_MS, CLOUD_PONG_TIMEOUT_MS } from '../../firmware/constants';
import { SeededRandom } from '../../firmware/platform/memory/index';
import { bootDevice, clientLine, command, decodeReply, provisionedStore, sendCommand, type TestDevice } from './helpers/harness';

const API_TOKEN = 'c'.repeat(64);
const ID = 'WL35080814';

function cloudDevice(relayUrl = 'https://relay.example', extra: { tlsVerify?: boolean } = {}): TestDevice {
  const store = provisionedStore({ relayUrl, apiToken: API_TOKEN, cloudEnabled: true });
  if (extra.tlsVerify === false) store.set('tls_verify', '0');
  return bootDevice({ store });
}

describe('relay URL rules (spec 4.2)', () => {
  const cases: Array<[string, string]> = [
    ['https://relay.example', `wss://relay.example:443/ws/${ID}`],
    ['http://relay.example:9009', `ws://relay.example:9009/ws/${ID}`],
    ['relay.example/', `wss://relay.example:443/ws/${ID}`],
    ['relay.example/ws', `wss://relay.example:443/ws/${ID}`],
    ['wss://relay.example/ws/', `wss://relay.example:443/ws/${ID}`],
    [`wss://relay.example/ws/${ID}`, `wss://relay.example:443/ws/${ID}`],
    ['ws://127.0.0.1:8080/custom/path', `ws://127.0.0.1:8080/custom/path/${ID}`],
    ['ws://[::1]:9009', `ws://[::1]:9009/ws/${ID}`],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => {
      const endpoint = buildRelayEndpoint(input, ID);
      expect(typeof endpoint === 'string' ? endpoint : endpoint.url).toBe(expected);
    });
  }
  it('refuses empty, over-long, foreign-scheme and malformed URLs with a reason', () => {
    for (const bad of ['', 'ftp://relay.example', 'wss://bad host/', 'wss://relay.example:99999', 'wss://relay.example/ws?x=1', 'wss://' + 'a'.repeat(130)]) {
      expect(typeof buildRelayEndpoint(bad, ID)).toBe('string');
    }
  });
});

describe('backoff', () => {
  it('doubles from 5 s with ±25 % jitter up to the cap, and resets', () => {
    const backoff = new Backoff(new SeededRandom(7));
    const delays = Array.from({ length: 10 }, () => backoff.next());
    delays.forEach((delay, i) => {
      const nominal = Math.min(300_000, 5000 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(nominal * 0.75);
      expect(delay).toBeLessThanOrEqual(nominal * 1.25);
    });
    expect(new Set(delays.slice(0, 6).map((d, i) => d / (5000 * 2 ** i))).size).toBeGreaterThan(1);
    backoff.reset();
    expect(backoff.next()).toBeLessThanOrEqual(6250);
  });
});

describe('cloud link', () => {
  it('connects with the auth headers and sends the JSON auth frame first; TLS is verified by default', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    expect(relay.options.url).toBe(`wss://relay.example:443/ws/${ID}`);
    expect(relay.options.headers).toEqual([['X-API-Token', API_TOKEN], ['X-Device-ID', ID]]);
    expect(relay.options.verifyTls).toBe(true);
    expect(device.handle.status().cloudStatus).toBe('disconnected');
    relay.open();
    expect(relay.sent).toEqual([`{"type":"auth","token":"${API_TOKEN}"}`]);
    expect(device.handle.status().cloudStatus).toBe('connected');
    expect(device.platform.logger.text()).not.toContain(API_TOKEN);
  });

  it('skips TLS verification only when configured', () => {
    expect(cloudDevice('https://relay.example', { tlsVerify: false }).platform.websocket.last!.options.verifyTls).toBe(false);
  });

  it('answers packets on the same socket (request_id null when absent); status frames are only logged', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message('{"type":"welcome","status":"connected","device_id":"WL35080814","protocol_version":"1.0","message":"Device WebSocket connection established"}');
    expect(relay.sent).toHaveLength(1);
    const packet = JSON.parse(clientLine(device.key, { command: 'ping', data: {} })) as Record<string, unknown>;
    relay.message(JSON.stringify(packet, null, 1));
    expect(relay.sent).toHaveLength(2);
    expect(decodeReply(device.key, relay.sent[1]!).inner).toBe('{"status":"success","result":"pong","request_id":null}');
    relay.message('not json at all');
    expect(decodeReply(device.key, relay.sent[2]!).inner).toBe('{"status":"error","error":"JSON_PARSE","request_id":null}');
  });

  it('table 2.4: over WS an empty or non-string command is UNKNOWN_COMMAND with an empty name (TCP says NO_COMMAND_IN_JSON)', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message(clientLine(device.key, { command: '', data: {}, request_id: 'abcd0005' }));
    expect(decodeReply(device.key, relay.sent[1]!).inner).toBe('{"status":"error","error":"UNKNOWN_COMMAND","command":"","request_id":"abcd0005"}');
    relay.message(clientLine(device.key, { command: 7, data: {} }));
    expect(decodeReply(device.key, relay.sent[2]!).inner).toBe('{"status":"error","error":"UNKNOWN_COMMAND","command":"","request_id":null}');
    relay.message(clientLine(device.key, { data: {}, request_id: 'abcd0006' }));
    expect(decodeReply(device.key, relay.sent[3]!).inner).toBe('{"status":"error","error":"NO_COMMAND","request_id":"abcd0006"}');
    expect(sendCommand(device, { command: '', request_id: 'abcd0007' }).inner).toBe('{"status":"error","error":"NO_COMMAND_IN_JSON","request_id":"abcd0007"}');
  });

  it('F17: drops frames larger than the device budget without answering', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message(JSON.stringify({ payload: 'a'.repeat(4096) }));
    expect(relay.sent).toHaveLength(1);
    expect(device.handle.status().cloudStatus).toBe('connected');
  });

  it('disconnects on a relay error frame and reconnects with backoff', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message('{"status":"error","error":"INVALID_TOKEN","message":"Invalid API token"}');
    expect(relay.closedByDevice).toBe(true);
    expect(device.handle.status().cloudStatus).toBe('disconnected');
    device.platform.timers.advance(3749);
    expect(device.platform.websocket.connections).toHaveLength(1);
    device.platform.timers.advance(2501);
    expect(device.platform.websocket.connections).toHaveLength(2);
  });

  it('heartbeat: pings every 25 s and reconnects after three missed pongs', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    device.platform.timers.advance(CLOUD_HEARTBEAT_MS);
    expect(relay.pings).toBe(1);
    relay.pong();
    device.platform.timers.advance(CLOUD_HEARTBEAT_MS * 3 + CLOUD_PONG_TIMEOUT_MS);
    expect(relay.closedByDevice).toBe(true);
    expect(relay.pings).toBe(4);
  });

  it('B6: cloud_control disable over the cloud sends its reply before the link closes, and stays down', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message(clientLine(device.key, command('cloud_control', { action: 'disable' }, 'dddd0001')));
    expect(decodeReply(device.key, relay.sent[1]!).inner).toBe('{"status":"success","result":"cloud_disabled","request_id":"dddd0001"}');
    expect(device.handle.status().cloudStatus).toBe('disabled');
    device.platform.timers.advance(60_000);
    expect(relay.closedByDevice).toBe(true);
    expect(device.platform.websocket.connections).toHaveLength(1);
  });

  it('B6: open_setup over the cloud replies, then drops to the access point and closes the link', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message(clientLine(device.key, command('open_setup', {}, 'dddd0002')));
    expect(decodeReply(device.key, relay.sent[1]!).inner).toContain('"ap_started"');
    device.platform.timers.advance(1000);
    expect(device.handle.status().mode).toBe('AP');
    expect(relay.closedByDevice).toBe(true);
    expect(device.handle.status().cloudStatus).toBe('disabled');
  });

  it('B6: cloud_control enable over the cloud replies on the running link and keeps it', () => {
    const device = cloudDevice();
    const relay = device.platform.websocket.last!;
    relay.open();
    relay.message(clientLine(device.key, command('cloud_control', { action: 'enable' }, 'dddd0004')));
    expect(relay.sent).toHaveLength(2);
    expect(decodeReply(device.key, relay.sent[1]!).inner).toBe(
      '{"status":"success","result":"cloud_enabled","cloud_status":"connected","request_id":"dddd0004"}',
    );
    device.platform.timers.advance(60_000);
    expect(relay.closedByDevice).toBe(false);
    expect(relay.isOpen).toBe(true);
    expect(device.platform.websocket.connections).toHaveLength(1);
    expect(device.handle.status().cloudStatus).toBe('connected');
  });

  it('cloud_control enable over the LAN starts the link when a URL is configured', () => {
    const store = provisionedStore({ relayUrl: 'ws://127.0.0.1:9009', apiToken: API_TOKEN, cloudEnabled: false });
    const device = bootDevice({ store });
    expect(device.platform.websocket.connections).toHaveLength(0);
    expect(sendCommand(device, command('cloud_control', { action: 'enable' }, 'dddd0003')).inner).toBe(
      '{"status":"success","result":"cloud_enabled","cloud_status":"disconnected","request_id":"dddd0003"}',
    );
    expect(device.platform.websocket.last!.options.url).toBe(`ws://127.0.0.1:9009/ws/${ID}`);
  });

  it('F18: the LAN keeps working while the relay is unreachable, and 50 drop cycles leak nothing', () => {
    const device = cloudDevice();
    const timersAtStart = device.platform.timers.pending;
    for (let i = 0; i < 50; i++) {
      const relay = device.platform.websocket.last!;
      relay.open();
      relay.message('{"type":"welcome","status":"connected"}');
      relay.drop();
      device.platform.timers.advance(10_000);
      expect(sendCommand(device, command('ping')).inner).toContain('"pong"');
    }
    expect(device.platform.websocket.connections).toHaveLength(51);
    expect(device.platform.websocket.connections.slice(0, 50).every((c) => !c.isOpen)).toBe(true);
    expect(device.platform.timers.pending).toBeLessThanOrEqual(timersAtStart + 1);
    device.handle.stop();
    expect(device.platform.timers.pending).toBe(0);
  });

  it('is never started in setup mode', () => {
    const store = provisionedStore({ relayUrl: 'https://relay.example', apiToken: API_TOKEN, cloudEnabled: true });
    const device = bootDevice({ store, wifiReachable: false });
    expect(device.platform.websocket.connections).toHaveLength(0);
  });
});

describe('Moddable client URL split', () => {
  it('splits every normalised URL the link builds back into host, port and path', async () => {
    const { parseNormalisedUrl } = await import('../../firmware/platform/moddable/url-parts');
    for (const input of ['https://relay.example', 'ws://[::1]:9009', 'http://10.0.0.2:8080/x/y']) {
      const endpoint = buildRelayEndpoint(input, ID);
      if (typeof endpoint === 'string') throw new Error(endpoint);
      expect(parseNormalisedUrl(endpoint.url)).toEqual({
        secure: endpoint.secure,
        host: endpoint.host.replace(/^\[|\]$/g, ''),
        port: endpoint.port,
        path: endpoint.path,
      });
    }
    expect(() => parseNormalisedUrl('relay.example')).toThrow();
  });
});
