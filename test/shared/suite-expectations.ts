import { expect } from 'vitest';
import { CHACHA20_VECTORS, GOLDEN, HMAC_VECTORS, SHA256_VECTORS } from '../vectors/crypto-vectors';
import type { SuiteOutput } from '../xs/shared-suite';

/** Checks one engine's suite output against the published and golden expectations. */
export function expectSuiteMatchesSpec(out: SuiteOutput): void {
  expect(out.sha256).toEqual(SHA256_VECTORS.map((v) => v.digest));
  expect(out.hmac.map((mac, i) => mac.slice(0, (HMAC_VECTORS[i]!.truncateBytes ?? 32) * 2))).toEqual(HMAC_VECTORS.map((v) => v.mac));
  expect(out.chacha20).toEqual(CHACHA20_VECTORS.map((v) => v.cipherHex));
  expect(out.golden.key).toBe(GOLDEN.keyHex);
  expect(JSON.stringify(out.golden.command)).toBe(
    `{"device_id":"${GOLDEN.deviceId}","payload":"${GOLDEN.command.payload}","signature":"${GOLDEN.command.signature}","version":"1.0"}`,
  );
  expect(JSON.stringify(out.golden.reply)).toBe(
    `{"device_id":"${GOLDEN.deviceId}","payload":"${GOLDEN.reply.payload}","signature":"${GOLDEN.reply.signature}","request_counter":1,"version":"1.0"}`,
  );
  expect(JSON.stringify(out.golden.openedReply)).toBe(GOLDEN.reply.inner);
  expect(out.golden.uppercaseMac.startsWith(GOLDEN.uppercasePayloadMacPrefix)).toBe(true);
  expect(out.golden.uppercaseMac.endsWith(GOLDEN.uppercasePayloadMacSuffix)).toBe(true);
  expect(out.errors).toEqual({
    shortToken: 'ERROR:CRYPTO_DISABLED',
    outerJson: 'JSON_PARSE',
    numericVersion: 'BAD_PACKET',
    emptyPayload: 'BAD_PACKET',
    badSignature: 'INVALID_SIGNATURE',
    oddHex: 'ERROR:HEX_LEN',
    nonHex: 'ERROR:HEX_CHAR',
    tooShort: 'ERROR:INVALID_PACKET_SIZE',
    zeroLength: 'ERROR:INVALID_DATA_LENGTH',
    overLength: 'ERROR:INVALID_DATA_LENGTH',
    oversizePayload: 'ERROR:INVALID_PACKET_SIZE',
    trailingByte: 'ERROR:INVALID_PACKET_SIZE',
    innerJson: 'INVALID_JSON',
    plaintext501: 'ERROR:INVALID_DATA_LENGTH',
  });
  expect(out.roundTrips).toHaveLength(8);
  for (const trip of out.roundTrips) {
    expect(trip.opened.command).toBe('wake');
  }
  expect(out.wol[0]).toBe('ff'.repeat(6) + 'aabbccddeeff'.repeat(16));
  expect(out.wol[1]).toBe('ff'.repeat(6) + 'aabbccddeeff'.repeat(16) + '010203040506');
}
