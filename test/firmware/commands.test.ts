/** Every command of spec 5.1 against its exact v1.0 reply text (field order included). */
import { describe, expect, it } from 'vitest';
import { bootDevice, command, sendCommand, type TestDevice } from './helpers/harness';

let sequence = 0;

/**
 * Runs a command with a fresh request id (the device refuses repeated ids) and shows that id as
 * "abcd1234" in the returned text, so expectations read like the spec's examples.
 */
function inner(device: TestDevice, name: string, data = {}, requestId?: string): string {
  const id = requestId ?? `id${(sequence++).toString().padStart(6, '0')}`;
  const text = sendCommand(device, command(name, data, id)).inner;
  return requestId ? text : text.replace(`"request_id":"${id}"`, '"request_id":"abcd1234"');
}

describe('commands of spec 5.1', () => {
  it('ping', () => {
    expect(inner(bootDevice(), 'ping')).toBe('{"status":"success","result":"pong","request_id":"abcd1234"}');
  });

  it('wake sends one 102-byte magic packet to the configured target and echoes the MAC as given (B7 strict)', () => {
    const device = bootDevice();
    expect(inner(device, 'wake', { mac: 'aa-bb-cc-dd-ee-ff' })).toBe(
      '{"status":"success","result":"wol_sent","mac":"aa-bb-cc-dd-ee-ff","request_id":"abcd1234"}',
    );
    const sent = device.platform.udp.sent;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.address).toBe('127.0.0.1');
    expect(sent[0]!.port).toBe(40009);
    expect(sent[0]!.data.length).toBe(102);
    expect(Array.from(sent[0]!.data.subarray(0, 12))).toEqual([255, 255, 255, 255, 255, 255, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
    expect(device.platform.udp.openSockets).toBe(0);
  });

  it('wake with a SecureOn password appends the six password bytes', () => {
    const device = bootDevice();
    inner(device, 'wake', { mac: 'AA:BB:CC:DD:EE:FF', secure_on: '01:02:03:04:05:06' });
    const data = device.platform.udp.sent[0]!.data;
    expect(data.length).toBe(108);
    expect(Array.from(data.subarray(102))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('B28/B7: wake refuses malformed MACs and bad SecureOn passwords, sending nothing', () => {
    const device = bootDevice();
    expect(inner(device, 'wake', {})).toBe('{"status":"error","error":"MAC_ADDRESS_REQUIRED","request_id":"abcd1234"}');
    expect(inner(device, 'wake', { mac: 42 })).toBe('{"status":"error","error":"MAC_ADDRESS_REQUIRED","request_id":"abcd1234"}');
    expect(inner(device, 'wake', { mac: 'AA:BB:CC:DD:EE:GG' })).toBe('{"status":"error","error":"INVALID_MAC_ADDRESS","request_id":"abcd1234"}');
    expect(inner(device, 'wake', { mac: 'AABBCCDDEE' })).toBe('{"status":"error","error":"INVALID_MAC_ADDRESS","request_id":"abcd1234"}');
    expect(inner(device, 'wake', { mac: 'AA:BB:CC:DD:EE:FF', secure_on: 'short' })).toBe(
      '{"status":"error","error":"INVALID_SECUREON_PASSWORD","request_id":"abcd1234"}',
    );
    expect(device.platform.udp.sent).toHaveLength(0);
  });

  it('wake reports a failed UDP send instead of claiming success', () => {
    const device = bootDevice();
    device.platform.udp.failSends = true;
    expect(inner(device, 'wake', { mac: 'AA:BB:CC:DD:EE:FF' })).toBe(
      '{"status":"error","error":"WOL_SEND_FAILED","mac":"AA:BB:CC:DD:EE:FF","request_id":"abcd1234"}',
    );
    expect(device.platform.udp.openSockets).toBe(0);
  });

  it('info lists every field in v1.0 order', () => {
    const device = bootDevice();
    expect(inner(device, 'info')).toBe(
      '{"status":"success","device_id":"WL35080814","ip":"192.168.1.50","ssid":"home-net","rssi":-60,"request_counter":1,' +
        '"crypto_enabled":true,"mode":"STA","web_enabled":true,"cloud_enabled":false,"cloud_status":"disabled","free_heap":40000,' +
        '"request_id":"abcd1234"}',
    );
  });

  it('restart replies first, then restarts after a short delay', () => {
    const device = bootDevice();
    expect(inner(device, 'restart')).toBe(
      '{"status":"success","result":"restarting","message":"Device will restart in 1ms","request_id":"abcd1234"}',
    );
    expect(device.platform.restarts).toBe(0);
    device.platform.timers.advance(1000);
    expect(device.platform.restarts).toBe(1);
  });

  it('ota_start acknowledges with the v1.0 reply', () => {
    expect(inner(bootDevice(), 'ota_start')).toBe('{"status":"success","result":"ota_ready","timeout":30000,"request_id":"abcd1234"}');
  });

  it('B6: open_setup replies before switching to the access point', () => {
    const device = bootDevice();
    const reply = sendCommand(device, command('open_setup', {}, 'abcd1234'));
    expect(reply.inner).toBe('{"status":"success","result":"ap_started","ssid":"WakeLink-0814","ip":"192.168.4.1","request_id":"abcd1234"}');
    expect(device.platform.network.mode()).toBe('STA');
    device.platform.timers.advance(1000);
    expect(device.platform.network.mode()).toBe('AP');
    expect(device.platform.network.accessPoint).toEqual({ ssid: 'WakeLink-0814', password: 'SetupPass123' });
    expect(device.handle.status().mode).toBe('AP');
  });

  it('web_control: status, disable, enable, missing and invalid action', () => {
    const device = bootDevice();
    expect(inner(device, 'web_control', { action: 'status' })).toBe('{"status":"success","web_enabled":true,"mode":"STA","request_id":"abcd1234"}');
    expect(inner(device, 'web_control', { action: 'disable' })).toBe('{"status":"success","result":"web_disabled","request_id":"abcd1234"}');
    expect(device.platform.tcp.isListening(80)).toBe(false);
    expect(device.platform.store.get('web_en')).toBe('0');
    expect(inner(device, 'web_control', { action: 'enable' })).toBe('{"status":"success","result":"web_enabled","request_id":"abcd1234"}');
    expect(device.platform.tcp.isListening(80)).toBe(true);
    expect(inner(device, 'web_control', {})).toBe('{"status":"error","error":"ACTION_REQUIRED","request_id":"abcd1234"}');
    expect(inner(device, 'web_control', { action: 'toggle' })).toBe('{"status":"error","error":"INVALID_ACTION","request_id":"abcd1234"}');
  });

  it('web_control disable is refused in setup (AP) mode', () => {
    const device = bootDevice({ wifiReachable: false });
    expect(device.handle.status().mode).toBe('AP');
    expect(inner(device, 'web_control', { action: 'disable' })).toBe(
      '{"status":"error","error":"CANNOT_DISABLE_IN_AP_MODE","message":"Web server cannot be disabled in Access Point mode","request_id":"abcd1234"}',
    );
    expect(device.platform.tcp.isListening(80)).toBe(true);
  });

  it('cloud_control: status, enable without URL stays disabled, disable, missing and invalid action', () => {
    const device = bootDevice();
    expect(inner(device, 'cloud_control', { action: 'status' })).toBe(
      '{"status":"success","cloud_enabled":false,"cloud_status":"disabled","request_id":"abcd1234"}',
    );
    expect(inner(device, 'cloud_control', { action: 'enable' })).toBe(
      '{"status":"success","result":"cloud_enabled","cloud_status":"disabled","request_id":"abcd1234"}',
    );
    expect(device.platform.store.get('cloud_en')).toBe('1');
    expect(inner(device, 'cloud_control', { action: 'disable' })).toBe('{"status":"success","result":"cloud_disabled","request_id":"abcd1234"}');
    expect(device.platform.store.get('cloud_en')).toBe('0');
    expect(inner(device, 'cloud_control', {})).toBe('{"status":"error","error":"ACTION_REQUIRED","request_id":"abcd1234"}');
    expect(inner(device, 'cloud_control', { action: 'ENABLE' })).toBe('{"status":"error","error":"INVALID_ACTION","request_id":"abcd1234"}');
  });

  it('crypto_info, counter_info and reset_counter', () => {
    const device = bootDevice();
    expect(inner(device, 'crypto_info')).toBe(
      '{"status":"success","enabled":true,"request_counter":1,"request_limit":1000,"key_info":"SECURE|REQUESTS:1/1000|STATUS:ACTIVE","request_id":"abcd1234"}',
    );
    expect(inner(device, 'counter_info', {}, 'ffff0000')).toBe('{"status":"success","request_counter":2,"request_limit":1000,"request_id":"ffff0000"}');
    expect(inner(device, 'reset_counter', {}, 'ffff0001')).toBe('{"status":"success","result":"counter_reset","request_id":"ffff0001"}');
    expect(inner(device, 'counter_info', {}, 'ffff0002')).toBe('{"status":"success","request_counter":1,"request_limit":1000,"request_id":"ffff0002"}');
  });

  it('unknown, missing and empty command names', () => {
    const device = bootDevice();
    expect(inner(device, 'Ping')).toBe('{"status":"error","error":"UNKNOWN_COMMAND","command":"Ping","request_id":"abcd1234"}');
    expect(sendCommand(device, { data: {}, request_id: 'abcd0001' }).inner).toBe('{"status":"error","error":"NO_COMMAND","request_id":"abcd0001"}');
    expect(sendCommand(device, { command: null, request_id: 'abcd0002' }).inner).toBe('{"status":"error","error":"NO_COMMAND","request_id":"abcd0002"}');
    expect(sendCommand(device, { command: '', request_id: 'abcd0003' }).inner).toBe(
      '{"status":"error","error":"NO_COMMAND_IN_JSON","request_id":"abcd0003"}',
    );
    expect(sendCommand(device, { command: 7, request_id: 'abcd0004' }).inner).toBe(
      '{"status":"error","error":"NO_COMMAND_IN_JSON","request_id":"abcd0004"}',
    );
  });

  it('TCP echoes "unknown" when the request id is absent; non-object data becomes {}', () => {
    const device = bootDevice();
    expect(sendCommand(device, { command: 'ping', data: 'x' }).inner).toBe('{"status":"success","result":"pong","request_id":"unknown"}');
  });

  it('refuses an over-long request id before acting, so the reply always fits 500 bytes', () => {
    const device = bootDevice();
    const reply = sendCommand(device, { command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: 'x'.repeat(300) });
    expect(reply.inner).toBe('{"status":"error","error":"REQUEST_ID_TOO_LONG","request_id":null}');
    expect(device.platform.udp.sent).toHaveLength(0);
  });
});
