import { describe, expect, it } from 'vitest';
import { ErrorCodes, buildMagicPacket, formatMac, parseMac, toHex } from '../../shared/index';

describe('parseMac', () => {
  it.each(['AA:BB:CC:DD:EE:FF', 'aa-bb-cc-dd-ee-ff', 'AABB.CCDD.EEFF', 'aabbccddeeff', '  AA:BB:CC:DD:EE:FF '])('accepts %j', (text) => {
    expect(toHex(parseMac(text))).toBe('aabbccddeeff');
  });
  it.each([
    'AA:BB:CC:DD:EE', 'AA:BB:CC:DD:EE:FF:00', 'GG:BB:CC:DD:EE:FF', 'AA:BB-CC:DD:EE:FF', 'AABB.CCDD.EEF', 'A:BB:CC:DD:EE:FF0',
    'AA::BB:CC:DD:EE', '', 'AABBCCDDEEFG', 'AA BB CC DD EE FF', '0xAABBCCDDEE',
  ])('rejects %j (B7)', (text) => {
    expect(() => parseMac(text)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_MAC }));
  });
  it('formats as the CLI normalises it', () => {
    expect(formatMac(parseMac('0a-0b-0c-0d-0e-0f'))).toBe('0A:0B:0C:0D:0E:0F');
  });
});

describe('buildMagicPacket', () => {
  it('is 102 bytes: six 0xFF then the MAC sixteen times', () => {
    const packet = buildMagicPacket('01:23:45:67:89:ab');
    expect(packet).toHaveLength(102);
    expect(toHex(packet)).toBe('ff'.repeat(6) + '0123456789ab'.repeat(16));
  });
  it('is 108 bytes with a SecureOn password appended', () => {
    const packet = buildMagicPacket('01:23:45:67:89:ab', 'de:ad:be:ef:00:01');
    expect(packet).toHaveLength(108);
    expect(toHex(packet.subarray(102))).toBe('deadbeef0001');
  });
  it('rejects a malformed SecureOn password and a 5-byte MAC', () => {
    expect(() => buildMagicPacket('01:23:45:67:89:ab', '12345')).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_SECUREON }));
    expect(() => buildMagicPacket(new Uint8Array(5))).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_MAC }));
  });
});
