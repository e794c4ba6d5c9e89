/**
 * Named targets, wake confirmation, status and schedules in the firmware logic, on the in-memory
 * platform (virtual time, a scripted LAN for probes). The same behaviour runs end to end on every
 * engine in test/hil/targets.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PROBE_MIN_INTERVAL_MS, WATCH_PROBE_INTERVAL_MS } from '../../firmware/constants';
import { openPacketText, type JsonObject } from '../../shared/index';
import { nodeCrypto } from '../../node/crypto';
import { bootDevice, clientLine, command, decodeReply, LAN_PORT, provisionedStore, sendCommand, type TestDevice } from './helpers/harness';

const DESK = { name: 'desk', mac: 'AA:BB:CC:00:00:01', host: '10.1.1.5', port: 3389, wait: 20, retries: 2 };

function run(device: TestDevice, name: string, data: JsonObject = {}): JsonObject {
  return JSON.parse(sendCommand(device, command(name, data)).inner) as JsonObject;
}

/** A command whose reply waits (status): sent, time moved on, then the reply read. */
function runDeferred(device: TestDevice, name: string, data: JsonObject, advanceMs: number): JsonObject {
  const peer = device.platform.tcp.connect(LAN_PORT);
  peer.send(clientLine(device.key, command(name, data)) + '\n');
  expect(peer.text).toBe('');
  device.platform.timers.advance(advanceMs);
  expect(peer.text.endsWith('\n')).toBe(true);
  return JSON.parse(decodeReply(device.key, peer.text.slice(0, -1)).inner) as JsonObject;
}

function magicPackets(device: TestDevice, mac: string): number {
  const bytes = mac.split(':').map((h) => parseInt(h, 16));
  return device.platform.udp.sent.filter((d) => d.data.length === 102 && d.data.subarray(6, 12).every((b, i) => b === bytes[i])).length;
}

describe('targets: stored, listed, deleted', () => {
  it('saves, lists (paged to fit 500 bytes) and deletes targets; the SecureOn password is never read back', () => {
    const device = bootDevice();
    expect(run(device, 'target_set', { ...DESK, secure_on: '01:02:03:04:05:06' })).toMatchObject({ status: 'success', result: 'target_saved', name: 'desk' });
    for (const n of [2, 3, 4]) run(device, 'target_set', { name: `pc${n}`, mac: `AA:BB:CC:00:00:0${n}` });
    const first = run(device, 'targets_list');
    expect(first.targets).toEqual([
      { name: 'desk', mac: 'AA:BB:CC:00:00:01', host: '10.1.1.5', port: 3389, broadcast: '', retries: 2, wait: 20, secure_on: true },
      { name: 'pc2', mac: 'AA:BB:CC:00:00:02', host: '', port: 22, broadcast: '', retries: 2, wait: 120, secure_on: false },
      { name: 'pc3', mac: 'AA:BB:CC:00:00:03', host: '', port: 22, broadcast: '', retries: 2, wait: 120, secure_on: false },
    ]);
    expect(first.next).toBe(3);
    expect(run(device, 'targets_list', { offset: 3 })).toMatchObject({ targets: [{ name: 'pc4' }], next: null });
    // Replacing keeps one entry per name.
    run(device, 'target_set', { ...DESK, port: 22 });
    expect((run(device, 'targets_list').targets as JsonObject[])[0]).toMatchObject({ name: 'desk', port: 22, secure_on: false });
    expect(run(device, 'target_delete', { name: 'pc3' })).toMatchObject({ result: 'target_deleted' });
    expect(run(device, 'target_delete', { name: 'pc3' })).toMatchObject({ status: 'error', error: 'TARGET_NOT_FOUND', name: 'pc3' });
    expect(run(device, 'targets_list', { offset: 0 }).targets).toHaveLength(3);
  });

  it('survives a reboot (flash), and a 17th target on the ESP8266 profile is refused TARGETS_FULL', () => {
    const store = provisionedStore();
    const device = bootDevice({ store, device: { profile: 'esp8266' } });
    for (let n = 0; n < 16; n++) expect(run(device, 'target_set', { name: `t${n}`, mac: `AA:BB:CC:00:01:${n.toString(16).padStart(2, '0')}` }).status).toBe('success');
    expect(run(device, 'target_set', { name: 't16', mac: 'AA:BB:CC:00:02:00' })).toMatchObject({ status: 'error', error: 'TARGETS_FULL', max: 16 });
    device.handle.stop();
    const again = bootDevice({ store, device: { profile: 'esp8266' } });
    expect(run(again, 'targets_list', { offset: 15 })).toMatchObject({ targets: [{ name: 't15' }], next: null });
    expect(run(again, 'target_set', { name: 't0', mac: 'AA:BB:CC:00:02:00' }).status).toBe('success');
  });
});

describe('wake confirmation', () => {
  it('wake by name sends the magic packet, probes every 2 s and reports up with the time it took', () => {
    const device = bootDevice();
    run(device, 'target_set', DESK);
    const reply = run(device, 'wake', { target: 'desk' });
    expect(reply).toMatchObject({ status: 'success', result: 'wol_sent', mac: DESK.mac, target: 'desk', watching: true });
    expect(magicPackets(device, DESK.mac)).toBe(1);
    device.platform.timers.advance(5000);
    expect(run(device, 'wake_result', { name: 'desk' })).toMatchObject({ state: 'waiting' });
    device.platform.probe.hosts.set('10.1.1.5:3389', 'up');
    device.platform.timers.advance(3000);
    const result = run(device, 'wake_result', { name: 'desk' });
    expect(result).toMatchObject({ target: 'desk', state: 'up' });
    expect(result.after_ms as number).toBeGreaterThanOrEqual(5000);
    expect(result.after_ms as number).toBeLessThanOrEqual(8000);
    // Probes went only to the target, about every 2 s.
    const probes = device.platform.probe.probes;
    expect(probes.every((p) => p.host === '10.1.1.5' && p.port === 3389)).toBe(true);
    for (let i = 1; i < probes.length; i++) expect(probes[i]!.at - probes[i - 1]!.at).toBeGreaterThanOrEqual(WATCH_PROBE_INTERVAL_MS);
  });

  it('times out after the window, re-sending the magic packet `retries` times while down', () => {
    const device = bootDevice();
    run(device, 'target_set', DESK);
    run(device, 'wake', { target: 'desk' });
    device.platform.timers.advance(25_000);
    expect(run(device, 'wake_result', { name: 'desk' })).toMatchObject({ state: 'timeout' });
    expect(magicPackets(device, DESK.mac)).toBe(1 + DESK.retries);
    expect(device.platform.logger.text()).toMatch(/event wake_result: desk timeout/);
  });

  it('v1.0 wake {mac} keeps its reply byte for byte, and a stored target with that MAC is watched', () => {
    const device = bootDevice();
    run(device, 'target_set', DESK);
    const text = sendCommand(device, command('wake', { mac: DESK.mac }, 'abcd1234')).inner;
    expect(text).toBe(`{"status":"success","result":"wol_sent","mac":"${DESK.mac}","request_id":"abcd1234"}`);
    expect(run(device, 'wake_result', { name: 'desk' })).toMatchObject({ state: 'waiting' });
  });

  it('publishes the outcome to the relay as a sealed event the relay cannot read', () => {
    const store = provisionedStore({ relayUrl: 'ws://127.0.0.1:9009', apiToken: 'c'.repeat(64), cloudEnabled: true });
    const device = bootDevice({ store });
    device.platform.websocket.last!.open();
    run(device, 'target_set', DESK);
    device.platform.probe.hosts.set('10.1.1.5:3389', 'up');
    run(device, 'wake', { target: 'desk' });
    device.platform.timers.advance(1000);
    const frames = device.platform.websocket.last!.sent.map((text) => JSON.parse(text) as JsonObject).filter((f) => f.type === 'event');
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: 'event', event: 'wake_result' });
    expect(JSON.stringify(frames[0])).not.toContain('desk');
    const inner = openPacketText({ key: device.key, packet: frames[0]!.content as never, crypto: nodeCrypto }).inner;
    expect(inner).toMatchObject({ event: 'wake_result', target: 'desk', state: 'up', trigger: 'command' });
  });

  it('wake of an unknown target is TARGET_NOT_FOUND and sends nothing', () => {
    const device = bootDevice();
    expect(run(device, 'wake', { target: 'ghost' })).toMatchObject({ status: 'error', error: 'TARGET_NOT_FOUND', name: 'ghost' });
    expect(device.platform.udp.sent).toHaveLength(0);
  });
});

describe('status', () => {
  it('probes every target of the page now and answers when all have (refused counts as up)', () => {
    const device = bootDevice();
    run(device, 'target_set', DESK);
    run(device, 'target_set', { name: 'nas', mac: 'AA:BB:CC:00:00:09', host: '10.1.1.9', port: 445 });
    run(device, 'target_set', { name: 'tv', mac: 'AA:BB:CC:00:00:0A' });
    device.platform.probe.hosts.set('10.1.1.9:445', 'up');
    const reply = runDeferred(device, 'status', {}, 1500);
    expect(reply).toMatchObject({ status: 'success', next: null });
    expect(reply.targets).toEqual([{ name: 'desk', state: 'down' }, { name: 'nas', state: 'up' }, { name: 'tv', state: 'unknown' }]);
  });

  it('keeps at most N probes in flight and at most one probe per target per second', () => {
    const device = bootDevice({ device: { profile: 'esp8266' } });
    for (let n = 0; n < 6; n++) run(device, 'target_set', { name: `t${n}`, mac: `AA:BB:CC:00:03:0${n}`, host: `10.2.0.${n}` });
    // Six silent targets, two probes at a time, each waiting 1 s: answered after 3 s.
    runDeferred(device, 'status', {}, 3000);
    expect(device.platform.probe.peakInFlight).toBe(2);
    const before = device.platform.probe.probes.length;
    expect(before).toBe(6);
    // Awake targets answer at once; asked again within the second, the answer comes from those
    // probes, not from new ones.
    for (let n = 0; n < 6; n++) device.platform.probe.hosts.set(`10.2.0.${n}:22`, 'up');
    device.platform.timers.advance(PROBE_MIN_INTERVAL_MS);
    runDeferred(device, 'status', {}, 100);
    expect(device.platform.probe.probes.length).toBe(before + 6);
    const again = runDeferred(device, 'status', {}, 10);
    expect((again.targets as JsonObject[]).every((t) => t.state === 'up')).toBe(true);
    expect(device.platform.probe.probes.length).toBe(before + 6);
    device.platform.timers.advance(PROBE_MIN_INTERVAL_MS);
    runDeferred(device, 'status', {}, 100);
    expect(device.platform.probe.probes.length).toBe(before + 12);
  });
});

describe('schedules', () => {
  // Monday 2024-12-09 07:29:00 UTC.
  const MONDAY_0729 = 1733729340;

  it('wake the target at the set local time on the set days, once, and not before the clock is set', () => {
    const device = bootDevice();
    run(device, 'target_set', DESK);
    // Awake at once, so the confirmation sends no re-sends to count.
    device.platform.probe.hosts.set('10.1.1.5:3389', 'up');
    expect(run(device, 'schedule_set', { target: 'desk', at: '08:30', days: 'weekdays', utc_offset: 60 })).toMatchObject({ result: 'schedule_saved', id: 1, clock_set: false });
    expect(run(device, 'schedules_list')).toMatchObject({ schedules: [{ id: 1, target: 'desk', at: '08:30', days: 'mon,tue,wed,thu,fri', utc_offset: 60 }], clock_set: false });
    device.platform.timers.advance(120_000);
    expect(magicPackets(device, DESK.mac)).toBe(0);
    device.platform.clock.wallSeconds = MONDAY_0729 - Math.floor(device.platform.timers.now / 1000);
    device.platform.timers.advance(40_000); // 07:29:40 UTC = 08:29:40 local: not yet
    expect(magicPackets(device, DESK.mac)).toBe(0);
    device.platform.timers.advance(40_000); // 08:30:20 local
    expect(magicPackets(device, DESK.mac)).toBe(1);
    device.platform.timers.advance(40_000); // still 08:30-ish: not twice
    expect(magicPackets(device, DESK.mac)).toBe(1);
    // (The clients' clock in this harness is far from the board's now, so no command is sent here.)
    expect(device.platform.logger.text()).toMatch(/schedule 1: waking desk[\s\S]*event wake_result: desk up/);
  });

  it('a schedule missed while the board was off is not made up for; saturdays are not weekdays', () => {
    const store = provisionedStore();
    const device = bootDevice({ store });
    run(device, 'target_set', DESK);
    run(device, 'schedule_set', { target: 'desk', at: '07:30', days: 'weekdays' });
    device.handle.stop();
    const later = bootDevice({ store });
    later.platform.clock.wallSeconds = MONDAY_0729 + 3600; // booted an hour after the wake time
    later.platform.timers.advance(120_000);
    expect(magicPackets(later, DESK.mac)).toBe(0);
    later.platform.clock.wallSeconds = MONDAY_0729 + 5 * 86400 - Math.floor(later.platform.timers.now / 1000); // Saturday 07:29
    later.platform.timers.advance(120_000);
    expect(magicPackets(later, DESK.mac)).toBe(0);
  });

  it('bounds the count and deletes by id', () => {
    const device = bootDevice({ device: { profile: 'esp8266' } });
    for (let n = 0; n < 8; n++) expect(run(device, 'schedule_set', { target: 'desk', at: `0${n}:00`, days: 'daily' }).id).toBe(n + 1);
    expect(run(device, 'schedule_set', { target: 'desk', at: '09:00', days: 'daily' })).toMatchObject({ status: 'error', error: 'SCHEDULES_FULL', max: 8 });
    expect(run(device, 'schedule_delete', { id: 3 })).toMatchObject({ result: 'schedule_deleted', id: 3 });
    expect(run(device, 'schedule_delete', { id: 3 })).toMatchObject({ status: 'error', error: 'SCHEDULE_NOT_FOUND' });
    expect(run(device, 'schedule_set', { target: 'desk', at: '09:00', days: 'daily' }).id).toBe(3);
  });
});
