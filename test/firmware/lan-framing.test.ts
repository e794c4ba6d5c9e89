/** Spec 3.1 framing on port 99, and the catalogue's bad-input cases B3, B27 and load case L8. */
import { describe, expect, it } from 'vitest';
import { LAN_MAX_LINE_BYTES, LAN_READ_WINDOW_MS } from '../../firmware/constants';
import { bootDevice, clientLine, command, decodeReply, LAN_PORT } from './helpers/harness';

const JSON_PARSE_REPLY = '{"status":"error","error":"JSON_PARSE","request_id":null}';

describe('LAN framing (spec 3.1)', () => {
  it('reassembles a line split into single-byte writes', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    for (const ch of clientLine(device.key, command('ping', {}, 'aaaa0001')) + '\n') peer.send(ch);
    expect(decodeReply(device.key, peer.text.trim()).inner).toBe('{"status":"success","result":"pong","request_id":"aaaa0001"}');
    expect(peer.closed).toBe(true);
  });

  it('without a newline, waits for the 5 s window from accept, then processes what arrived', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send(clientLine(device.key, command('ping', {}, 'aaaa0002')));
    device.platform.timers.advance(LAN_READ_WINDOW_MS - 1);
    expect(peer.text).toBe('');
    expect(peer.closed).toBe(false);
    device.platform.timers.advance(1);
    expect(decodeReply(device.key, peer.text.trim()).inner).toContain('"aaaa0002"');
    expect(peer.closed).toBe(true);
  });

  it('a half-close ends the line at once', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send(clientLine(device.key, command('ping', {}, 'aaaa0003')));
    peer.end();
    expect(decodeReply(device.key, peer.text.trim()).inner).toContain('"pong"');
  });

  it('trims CR and whitespace, and ignores bytes after the first newline', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send('  ' + clientLine(device.key, command('ping', {}, 'aaaa0004')) + '\r\n{"second":"line"}\n');
    const lines = peer.text.split('\n');
    expect(lines).toHaveLength(2);
    expect(decodeReply(device.key, lines[0]!).inner).toContain('"aaaa0004"');
  });

  it('connect-and-idle is closed at the deadline without a reply (B27)', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    device.platform.timers.advance(LAN_READ_WINDOW_MS);
    expect(peer.closed).toBe(true);
    expect(peer.text).toBe('');
    expect(device.handle.status().lanConnections).toBe(0);
  });

  it('an empty line is closed without a reply', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send('\r\n');
    expect(peer.closed).toBe(true);
    expect(peer.text).toBe('');
  });

  it('slowloris (one byte per second) does not extend the window (B27)', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    const line = clientLine(device.key, command('ping'));
    for (let i = 0; i < 5; i++) {
      peer.send(line[i]!);
      device.platform.timers.advance(1000);
    }
    expect(peer.closed).toBe(true);
    expect(decodeReply(device.key, peer.text.trim()).inner).toBe(JSON_PARSE_REPLY);
  });

  it('B3/B4: an oversize line is answered with the v1.0 JSON_PARSE reply at once and the rest is not buffered', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send('x'.repeat(1000));
    expect(peer.text).toBe('');
    peer.send('x'.repeat(1048));
    expect(decodeReply(device.key, peer.text.trim()).inner).toBe(JSON_PARSE_REPLY);
    expect(peer.closed).toBe(true);
    peer.send('more');
    expect(peer.text.split('\n')).toHaveLength(2);
  });

  it('B4 fixed: the largest legal packet (500-byte plaintext, relay-style spacing) fits the line buffer', () => {
    const device = bootDevice();
    const base = JSON.stringify(command('ping', { pad: '' }, 'aaaa0005'));
    const inner = JSON.stringify(command('ping', { pad: 'p'.repeat(500 - base.length) }, 'aaaa0005'));
    expect(inner.length).toBe(500);
    const packet = JSON.parse(clientLine(device.key, inner)) as Record<string, unknown>;
    const spaced = `{"device_id": "WL35080814FFFFFFFFFFFFF", "payload": "${packet.payload as string}", "signature": "${packet.signature as string}", "request_counter": null, "version": "1.0"}`;
    expect(spaced.length).toBeLessThan(LAN_MAX_LINE_BYTES);
    expect(spaced.length).toBeGreaterThan(1023);
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send(spaced + '\n');
    expect(decodeReply(device.key, peer.text.trim()).inner).toBe('{"status":"success","result":"pong","request_id":"aaaa0005"}');
  });

  it('garbage bytes (invalid UTF-8, binary) get the JSON_PARSE reply', () => {
    const device = bootDevice();
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send(new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x0a]));
    expect(decodeReply(device.key, peer.text.trim()).inner).toBe(JSON_PARSE_REPLY);
    const second = device.platform.tcp.connect(LAN_PORT);
    second.send('GET / HTTP/1.1\r\n');
    expect(decodeReply(device.key, second.text.trim()).inner).toBe(JSON_PARSE_REPLY);
  });

  it('serves several connections in flight, interleaved', () => {
    const device = bootDevice();
    const a = device.platform.tcp.connect(LAN_PORT);
    const b = device.platform.tcp.connect(LAN_PORT);
    const lineA = clientLine(device.key, command('ping', {}, 'aaaa0006')) + '\n';
    const lineB = clientLine(device.key, command('ping', {}, 'aaaa0007')) + '\n';
    a.send(lineA.slice(0, 50));
    b.send(lineB.slice(0, 70));
    a.send(lineA.slice(50));
    b.send(lineB.slice(70));
    expect(decodeReply(device.key, a.text.trim()).inner).toContain('"aaaa0006"');
    expect(decodeReply(device.key, b.text.trim()).inner).toContain('"aaaa0007"');
  });

  it('L8/B27: refuses connections beyond the cap cleanly and frees slots after the deadline (ESP8266 profile)', () => {
    const device = bootDevice({ device: { profile: 'esp8266' } });
    const idle = [device.platform.tcp.connect(LAN_PORT), device.platform.tcp.connect(LAN_PORT)];
    const extra = device.platform.tcp.connect(LAN_PORT);
    expect(extra.closed).toBe(true);
    extra.send(clientLine(device.key, command('ping')) + '\n');
    expect(extra.text).toBe('');
    expect(idle.every((p) => !p.closed)).toBe(true);
    device.platform.timers.advance(LAN_READ_WINDOW_MS);
    const later = device.platform.tcp.connect(LAN_PORT);
    later.send(clientLine(device.key, command('ping', {}, 'aaaa0008')) + '\n');
    expect(decodeReply(device.key, later.text.trim()).inner).toContain('"aaaa0008"');
  });

  it('L8: many sequential requests leave no connection, timer or socket behind', () => {
    const device = bootDevice({ device: { profile: 'esp8266' } });
    const timersBefore = device.platform.timers.pending;
    for (let i = 0; i < 200; i++) {
      const peer = device.platform.tcp.connect(LAN_PORT);
      peer.send(clientLine(device.key, command('wake', { mac: '00:11:22:33:44:55' })) + '\n');
      expect(peer.closed).toBe(true);
    }
    expect(device.handle.status().lanConnections).toBe(0);
    // Each v1.0 wake looks for a stored target with its MAC in the next turn; nothing stays after it.
    device.platform.timers.advance(0);
    expect(device.platform.timers.pending).toBe(timersBefore);
    expect(device.platform.udp.openSockets).toBe(0);
    expect(device.platform.udp.sent).toHaveLength(200);
  });
});
