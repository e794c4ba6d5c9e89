/** Table 2.4: every validation stage answers with a sealed, signed error reply. */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/crypto';
import { deriveKey, toHex } from '../../shared/index';
import { GOLDEN } from '../vectors/crypto-vectors';
import { bootDevice, clientLine, command, decodeReply, LAN_PORT, provisionedStore, sendCommand, sendLine, type TestDevice } from './helpers/harness';

function signed(device: TestDevice, payload: string): string {
  const signature = toHex(nodeCrypto.hmacSha256(device.key, new TextEncoder().encode(payload)));
  return JSON.stringify({ device_id: GOLDEN.deviceId, payload, signature, version: '1.0' });
}

const nullError = (code: string): string => `{"status":"error","error":"${code}","request_id":null}`;

describe('validation order and error codes (spec 2.4)', () => {
  it('JSON_PARSE for an unparsable outer packet, and the reply is still sealed and signed', () => {
    const device = bootDevice();
    const reply = sendLine(device, '{"device_id": nope');
    expect(reply.inner).toBe(nullError('JSON_PARSE'));
    expect(Object.keys(reply.outer)).toEqual(['device_id', 'payload', 'signature', 'request_counter', 'version']);
    expect(reply.outer.device_id).toBe('WL35080814');
    expect(reply.outer.version).toBe('1.0');
  });

  it('BAD_PACKET for a numeric version, an empty payload or a missing signature', () => {
    const device = bootDevice();
    const good = JSON.parse(clientLine(device.key, command('ping'))) as Record<string, unknown>;
    expect(sendLine(device, JSON.stringify({ ...good, version: 1.0 })).inner).toBe(nullError('BAD_PACKET'));
    expect(sendLine(device, JSON.stringify({ ...good, payload: '' })).inner).toBe(nullError('BAD_PACKET'));
    const { signature: _dropped, ...unsigned } = good;
    expect(sendLine(device, JSON.stringify(unsigned)).inner).toBe(nullError('BAD_PACKET'));
    expect(sendLine(device, '[1,2,3]').inner).toBe(nullError('JSON_PARSE'));
  });

  it('INVALID_SIGNATURE for a packet under another token, without counting it', () => {
    const device = bootDevice();
    const otherKey = deriveKey('x'.repeat(40), nodeCrypto);
    const reply = sendLine(device, clientLine(otherKey, command('ping')));
    expect(reply.inner).toBe(nullError('INVALID_SIGNATURE'));
    expect(reply.outer.request_counter).toBe(0);
  });

  it('ERROR:HEX_LEN, ERROR:INVALID_PACKET_SIZE and ERROR:INVALID_DATA_LENGTH after a valid MAC', () => {
    const device = bootDevice();
    expect(sendLine(device, signed(device, '0'.repeat(45))).inner).toBe(nullError('ERROR:HEX_LEN'));
    expect(sendLine(device, signed(device, '00'.repeat(21))).inner).toBe(nullError('ERROR:INVALID_PACKET_SIZE'));
    // L = 4 but 10 ciphertext bytes: trailing bytes are refused, as v1.0 does.
    expect(sendLine(device, signed(device, '0004' + '00'.repeat(10) + '00'.repeat(16))).inner).toBe(nullError('ERROR:INVALID_PACKET_SIZE'));
    expect(sendLine(device, signed(device, '0000' + '00'.repeat(20))).inner).toBe(nullError('ERROR:INVALID_DATA_LENGTH'));
    expect(sendLine(device, signed(device, '01f5' + '00'.repeat(20))).inner).toBe(nullError('ERROR:INVALID_DATA_LENGTH'));
  });

  it('rejects non-hex payload characters (extension) instead of decoding garbage nibbles', () => {
    const device = bootDevice();
    expect(sendLine(device, signed(device, 'zz'.repeat(30))).inner).toBe(nullError('ERROR:HEX_CHAR'));
  });

  it('INVALID_JSON for an unparsable inner command, which v1.0 still counts', () => {
    const device = bootDevice();
    const reply = sendCommand(device, 'this is not json');
    expect(reply.inner).toBe(nullError('INVALID_JSON'));
    expect(reply.outer.request_counter).toBe(1);
    expect(sendCommand(device, '[1,2,3]').inner).toBe(nullError('INVALID_JSON'));
  });

  it('B2: never answers ERROR:LIMIT_EXCEEDED, even far past the v1.0 limit of 1000', () => {
    const store = provisionedStore();
    store.set('counter', '5000');
    const device = bootDevice({ store });
    const reply = sendCommand(device, command('crypto_info', {}, 'c0ffee00'));
    expect(reply.inner).toBe(
      '{"status":"success","enabled":true,"request_counter":5001,"request_limit":1000,"key_info":"SECURE|REQUESTS:5001/1000|STATUS:ACTIVE","request_id":"c0ffee00"}',
    );
    expect(sendCommand(device, command('reset_counter', {}, 'c0ffee01')).inner).toBe('{"status":"success","result":"counter_reset","request_id":"c0ffee01"}');
  });

  it('B3: a payload longer than the largest legal packet is refused before any decoding', () => {
    const device = bootDevice();
    const line = signed(device, '00'.repeat(600));
    expect(line.length).toBeLessThan(1536);
    expect(sendLine(device, line).inner).toBe(nullError('ERROR:INVALID_PACKET_SIZE'));
  });

  it('device replies decode with an independent implementation and carry fresh nonces', () => {
    const device = bootDevice();
    const a = sendCommand(device, command('ping'));
    const b = sendCommand(device, command('ping'));
    expect((a.outer.payload as string).slice(-32)).not.toBe((b.outer.payload as string).slice(-32));
    expect(decodeReply(device.key, a.line).inner).toContain('"pong"');
    expect(device.platform.tcp.isListening(LAN_PORT)).toBe(true);
  });
});
