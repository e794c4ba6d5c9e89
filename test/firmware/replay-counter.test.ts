/** S4 replay refusal, the usage counter across reboots (F13, B2) and token rotation (update_token). */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/crypto';
import { deriveKey } from '../../shared/index';
import { readStoredText } from '../../firmware/stored-text';
import { COUNTER_RESERVE_BLOCK, FRESHNESS_WINDOW_SECONDS, REPLY_CACHE_ENTRIES_ESP8266 } from '../../firmware/constants';
import { REPLAY_FLOOR_KEY } from '../../firmware/replay-floor';
import { bootDevice, clientLine, command, decodeReply, LAN_PORT, provisionedStore, sendCommand, sendLine } from './helpers/harness';

describe('replay protection (S4, catalogue section 4)', () => {
  it('F4: a verbatim duplicate of an answered packet gets the same sealed reply, without acting or counting again', () => {
    const device = bootDevice();
    const line = clientLine(device.key, command('wake', { mac: 'AA:BB:CC:DD:EE:FF' }, 'feed0001'));
    const first = sendLine(device, line);
    expect(first.inner).toContain('"wol_sent"');
    const again = sendLine(device, line);
    expect(again.line).toBe(first.line);
    expect(device.platform.udp.sent).toHaveLength(1);
    expect(device.handle.status().requestCounter).toBe(1);
  });

  it('F4: over the cloud, a re-sent live command gets its original reply; a restart is not run twice', () => {
    const store = provisionedStore({ relayUrl: 'ws://127.0.0.1:9009', apiToken: 'c'.repeat(64), cloudEnabled: true });
    const device = bootDevice({ store });
    const relay = device.platform.websocket.last!;
    relay.open();
    const line = clientLine(device.key, command('restart', {}, 'feed0010'));
    relay.message(line);
    relay.message(line);
    expect(relay.sent).toHaveLength(3);
    expect(relay.sent[2]).toBe(relay.sent[1]);
    expect(decodeReply(device.key, relay.sent[2]!).inner).toContain('"restarting"');
    device.platform.timers.advance(1000);
    expect(device.platform.restarts).toBe(1);
  });

  it('F4: anything else the guard refuses is still REPLAY_DETECTED (same nonce, other payload; evicted duplicate)', () => {
    const device = bootDevice({ device: { profile: 'esp8266' } });
    const nonceHex = '0a'.repeat(16);
    const wake = clientLine(device.key, command('wake', { mac: 'AA:BB:CC:DD:EE:FF' }, 'feed0011'), nonceHex);
    expect(sendLine(device, wake).inner).toContain('"wol_sent"');
    // Same nonce, different payload: not the packet that was answered.
    const other = clientLine(device.key, command('wake', { mac: 'AA:BB:CC:DD:EE:FF' }, 'feed0012'), nonceHex);
    expect(sendLine(device, other).inner).toBe('{"status":"error","error":"REPLAY_DETECTED","request_id":"feed0012"}');
    // The ESP8266 remembers REPLY_CACHE_ENTRIES_ESP8266 replies; older duplicates are refused again.
    for (let i = 0; i < REPLY_CACHE_ENTRIES_ESP8266; i++) sendCommand(device, command('ping'));
    expect(sendLine(device, wake).inner).toBe('{"status":"error","error":"REPLAY_DETECTED","request_id":"feed0011"}');
    expect(device.platform.udp.sent).toHaveLength(1);
  });

  it('refuses a re-encrypted packet that reuses a request id', () => {
    const device = bootDevice();
    sendCommand(device, command('restart', {}, 'feed0002'));
    expect(sendCommand(device, command('restart', {}, 'feed0002')).inner).toBe(
      '{"status":"error","error":"REPLAY_DETECTED","request_id":"feed0002"}',
    );
  });

  it('refuses stale timestamps once the clock is set, and accepts any while it is unknown', () => {
    const device = bootDevice();
    const old = { command: 'ping', data: {}, request_id: 'feed0003', timestamp: 1733500000 - 3600 };
    expect(sendCommand(device, old).inner).toContain('"pong"');
    device.platform.clock.wallSeconds = 1733500000;
    expect(sendCommand(device, { ...old, request_id: 'feed0004' }).inner).toBe(
      '{"status":"error","error":"STALE_TIMESTAMP","request_id":"feed0004"}',
    );
    expect(sendCommand(device, { ...old, request_id: 'feed0005', timestamp: 1733500000 + 30 }).inner).toContain('"pong"');
  });

  it('F13: after a reboot, packets captured long before are refused by the timestamp window', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    first.platform.clock.wallSeconds = 1733500000;
    const line = clientLine(first.key, { command: 'ping', data: {}, request_id: 'feed0006', timestamp: 1733500000 });
    expect(sendLine(first, line).inner).toContain('"pong"');
    const second = bootDevice({ store });
    second.platform.clock.wallSeconds = 1733500000 + 3600;
    expect(sendLine(second, line).inner).toBe('{"status":"error","error":"STALE_TIMESTAMP","request_id":"feed0006"}');
  });
});

describe('F13: replays across a reboot, while the clock is still unknown', () => {
  const T = 1733500000;
  const wake = (requestId: string, timestamp: number) => ({
    command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: requestId, timestamp,
  });

  it('refuses a state-changing packet captured before the reboot, and acts once', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    const captured = clientLine(first.key, wake('feed0101', T));
    expect(sendLine(first, captured).inner).toContain('"wol_sent"');
    const second = bootDevice({ store });
    expect(second.platform.clock.nowSeconds()).toBeUndefined();
    expect(sendLine(second, captured).inner).toBe('{"status":"error","error":"STALE_TIMESTAMP","request_id":"feed0101"}');
    expect(second.platform.udp.sent).toHaveLength(0);
    // A fresh command after the reboot works.
    expect(sendCommand(second, wake('feed0102', T + 1)).inner).toContain('"wol_sent"');
  });

  it('a captured restart cannot keep the device rebooting', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    const restart = clientLine(first.key, { command: 'restart', data: {}, request_id: 'feed0103', timestamp: T });
    expect(sendLine(first, restart).inner).toContain('"restarting"');
    const second = bootDevice({ store });
    expect(sendLine(second, restart).inner).toContain('STALE_TIMESTAMP');
  });

  it('read-only commands are still answered right after a reboot (the floor is for state changes)', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    expect(sendCommand(first, wake('feed0107', T)).inner).toContain('"wol_sent"');
    const second = bootDevice({ store });
    expect(sendCommand(second, { command: 'ping', data: {}, request_id: 'feed0108', timestamp: T }).inner).toContain('"pong"');
  });

  it('read-only commands never write the floor to flash', () => {
    const store = provisionedStore();
    const device = bootDevice({ store });
    sendCommand(device, { command: 'ping', data: {}, request_id: 'feed0104', timestamp: T });
    sendCommand(device, { command: 'cloud_control', data: { action: 'status' }, request_id: 'feed0105', timestamp: T + 1 });
    expect(store.get(REPLAY_FLOOR_KEY)).toBeUndefined();
    sendCommand(device, wake('feed0106', T + 2));
    expect(store.get(REPLAY_FLOOR_KEY)).toBe(String(T + 2));
  });
});

describe('F13: state-changing commands without a timestamp (issue 12 item 7)', () => {
  const T = 1733500000;
  const bare = (command: string, data: object, requestId: string) => ({ command, data, request_id: requestId });

  it('a restart without timestamp is refused TIMESTAMP_REQUIRED and never runs, so its replays cannot reboot the device after every reboot', () => {
    const store = provisionedStore();
    const captured = clientLine(bootDevice({ store }).key, bare('restart', {}, 'feed0201'));
    for (let boot = 0; boot < 4; boot += 1) {
      const device = bootDevice({ store });
      expect(sendLine(device, captured).inner).toBe('{"status":"error","error":"TIMESTAMP_REQUIRED","request_id":"feed0201"}');
      device.platform.timers.advance(5000);
      expect(device.platform.restarts).toBe(0);
    }
  });

  it('a wake without timestamp sends no magic packet, before or after a power cut; with one it works', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    const captured = clientLine(first.key, bare('wake', { mac: 'AA:BB:CC:DD:EE:FF' }, 'feed0202'));
    expect(sendLine(first, captured).inner).toContain('"TIMESTAMP_REQUIRED"');
    const second = bootDevice({ store });
    expect(sendLine(second, captured).inner).toContain('"TIMESTAMP_REQUIRED"');
    // Present but not Unix seconds (v1.0 firmware's own generator sent millis since boot): the same.
    [null, 'soon', 1733500000123, 12345].forEach((ts, i) => {
      expect(sendCommand(second, { ...bare('wake', { mac: 'AA:BB:CC:DD:EE:FF' }, `feed021${i}`), timestamp: ts }).inner).toContain('"TIMESTAMP_REQUIRED"');
    });
    expect(first.platform.udp.sent).toHaveLength(0);
    expect(second.platform.udp.sent).toHaveLength(0);
    expect(sendCommand(second, { ...bare('wake', { mac: 'AA:BB:CC:DD:EE:FF' }, 'feed0203'), timestamp: T + 5 }).inner).toContain('"wol_sent"');
    expect(second.platform.udp.sent).toHaveLength(1);
  });

  it('read-only commands and unknown ones keep working without a timestamp', () => {
    const device = bootDevice();
    expect(sendCommand(device, bare('ping', {}, 'feed0204')).inner).toBe('{"status":"success","result":"pong","request_id":"feed0204"}');
    expect(sendCommand(device, bare('info', {}, 'feed0205')).inner).toContain('"status":"success"');
    expect(sendCommand(device, bare('web_control', { action: 'status' }, 'feed0206')).inner).toContain('"web_enabled"');
    expect(sendCommand(device, bare('nope', {}, 'feed0207')).inner).toBe('{"status":"error","error":"UNKNOWN_COMMAND","command":"nope","request_id":"feed0207"}');
    expect(sendCommand(device, bare('web_control', { action: 'disable' }, 'feed0208')).inner).toContain('"TIMESTAMP_REQUIRED"');
  });
});

describe('F13: a client clock far ahead cannot lock state changes out', () => {
  const T = 1733600000;
  const Y2100 = 4102444800;
  const wake = (requestId: string, timestamp: number) => ({
    command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: requestId, timestamp,
  });

  it('before SNTP, a year-2100 packet does not become the persisted floor', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    expect(sendCommand(first, wake('fa110001', T)).inner).toContain('"wol_sent"');
    first.platform.timers.advance(10_000);
    expect(sendCommand(first, wake('fa110002', Y2100)).inner).toContain('"wol_sent"');
    expect(Number(store.get(REPLAY_FLOOR_KEY))).toBeLessThanOrEqual(T + 10 + FRESHNESS_WINDOW_SECONDS);
    for (let boot = 0; boot < 3; boot++) {
      const next = bootDevice({ store });
      expect(next.platform.clock.nowSeconds()).toBeUndefined();
      next.platform.timers.advance(1000 * FRESHNESS_WINDOW_SECONDS);
      const ts = T + 2 * FRESHNESS_WINDOW_SECONDS * (boot + 1);
      expect(sendCommand(next, wake(`fa11010${boot}`, ts)).inner).toContain('"wol_sent"');
    }
  });

  it('a far-future floor already in flash is ignored once the clock is known, and replaced', () => {
    const store = provisionedStore();
    store.set(REPLAY_FLOOR_KEY, String(Y2100));
    const device = bootDevice({ store });
    expect(sendCommand(device, wake('fa110003', T)).inner).toContain('STALE_TIMESTAMP'); // no clock: the floor holds
    device.platform.clock.wallSeconds = T;
    expect(sendCommand(device, wake('fa110004', T + 1)).inner).toContain('"wol_sent"');
    expect(store.get(REPLAY_FLOOR_KEY)).toBe(String(T + 1));
    expect(sendCommand(device, wake('fa110005', T + FRESHNESS_WINDOW_SECONDS)).inner).toContain('"wol_sent"');
    expect(Number(store.get(REPLAY_FLOOR_KEY))).toBeLessThanOrEqual(T + FRESHNESS_WINDOW_SECONDS);
  });
});

describe('within one boot, before SNTP: replays after the nonce ring has rotated', () => {
  const T = 1733700000;
  it('refuses a captured state-changing packet older than the newest accepted minus the window; read-only is exempt', () => {
    const device = bootDevice({ device: { profile: 'esp8266' } });
    const captured = clientLine(device.key, { command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: 'cafe0000', timestamp: T });
    expect(sendLine(device, captured).inner).toContain('"wol_sent"');
    device.platform.timers.advance(1000 * (FRESHNESS_WINDOW_SECONDS + 100));
    // 40 later commands: more than the ESP8266's 32-entry ring and its reply cache.
    for (let i = 1; i <= 40; i++) {
      const inner = { command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: `cafe${String(i).padStart(4, '0')}`, timestamp: T + FRESHNESS_WINDOW_SECONDS + 100 };
      expect(sendCommand(device, inner).inner).toContain('"wol_sent"');
    }
    expect(device.platform.clock.nowSeconds()).toBeUndefined();
    expect(sendLine(device, captured).inner).toBe('{"status":"error","error":"STALE_TIMESTAMP","request_id":"cafe0000"}');
    expect(device.platform.udp.sent).toHaveLength(41);
    expect(sendCommand(device, { command: 'ping', data: {}, request_id: 'cafe1000', timestamp: T }).inner).toContain('"pong"');
  });
});

describe('serial console', () => {
  it('logs each command handled and each refused packet, never the token', () => {
    const device = bootDevice();
    sendCommand(device, command('wake', { mac: 'AA:BB:CC:DD:EE:FF' }));
    sendCommand(device, command('wake', { mac: 'nope' }));
    sendLine(device, clientLine(deriveKey('W'.repeat(40), nodeCrypto), command('ping')));
    const messages = device.platform.logger.lines.map((line) => line.message);
    expect(messages).toContain('command wake via tcp: success');
    expect(messages).toContain('command wake via tcp: error INVALID_MAC_ADDRESS');
    expect(messages).toContain('packet refused via tcp: INVALID_SIGNATURE');
    expect(messages.join('\n')).not.toContain(device.token);
  });
});

describe('usage counter (spec 1.6, B2, F13)', () => {
  it('resumes above the pre-reboot value after a power cut (no orderly stop)', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    for (let i = 0; i < 5; i++) sendCommand(first, command('ping'));
    expect(first.handle.status().requestCounter).toBe(5);
    const second = bootDevice({ store });
    const reply = sendCommand(second, command('counter_info'));
    expect(reply.outer.request_counter as number).toBeGreaterThan(5);
  });

  it('continues exactly after an orderly stop', () => {
    const store = provisionedStore();
    const first = bootDevice({ store });
    for (let i = 0; i < 3; i++) sendCommand(first, command('ping'));
    first.handle.stop();
    const second = bootDevice({ store });
    expect(sendCommand(second, command('ping')).outer.request_counter).toBe(4);
  });

  it('batches flash writes: one write per reserved block, not per request', () => {
    const store = provisionedStore();
    const device = bootDevice({ store });
    let counterWrites = 0;
    const set = store.set.bind(store);
    store.set = (key, value) => {
      if (key === 'counter') counterWrites++;
      set(key, value);
    };
    for (let i = 0; i < 100; i++) sendCommand(device, command('ping'));
    expect(counterWrites).toBe(Math.floor(100 / COUNTER_RESERVE_BLOCK));
  });
});

describe('update_token (spec 5.1, S14)', () => {
  it('replies under the old key, then stores the new token, resets the counter and restarts', () => {
    const store = provisionedStore();
    const device = bootDevice({ store });
    sendCommand(device, command('ping'));
    const reply = sendCommand(device, command('update_token', {}, 'beef0001'));
    const parsed = JSON.parse(reply.inner) as { new_token: string };
    expect(parsed.new_token).toMatch(/^[A-Za-z0-9]{96}$/);
    expect(reply.inner).toBe(
      `{"status":"success","result":"token_updated","new_token":"${parsed.new_token}","message":"Token updated. Device will restart in 1ms.","request_id":"beef0001"}`,
    );
    expect(readStoredText(store, 'tok')).toBe(parsed.new_token);
    expect(device.platform.restarts).toBe(0);
    device.platform.timers.advance(1000);
    expect(device.platform.restarts).toBe(1);

    // The old token no longer opens packets; the new one does, with the counter restarted.
    const oldKeyReply = device.platform.tcp.connect(LAN_PORT);
    oldKeyReply.send(clientLine(device.key, command('ping')) + '\n');
    const newKey = deriveKey(parsed.new_token, nodeCrypto);
    expect(decodeReply(newKey, oldKeyReply.text.trim()).inner).toBe('{"status":"error","error":"INVALID_SIGNATURE","request_id":null}');
    const rebooted = bootDevice({ store, token: parsed.new_token });
    const ping = sendCommand(rebooted, command('ping'));
    expect(ping.inner).toContain('"pong"');
    expect(ping.outer.request_counter).toBe(1);
  });
});
