/**
 * The shared/ vector suite as computed on any engine: published vectors, the golden packets, the
 * size-rule error codes and a deterministic batch of seal/open round trips. Node runs it directly,
 * XS runs it bundled; the test compares both outputs with each other and with the expectations.
 */
import {
  ProtocolError, chacha20, deriveKey, fromHex, hmacWith, openPacket, referenceCrypto, sealPacket, sha256, toHex,
  utf8Encode, buildMagicPacket, parseMac, type JsonObject,
} from '../../shared/index';
import { CHACHA20_VECTORS, GOLDEN, HMAC_VECTORS, SHA256_VECTORS } from '../vectors/crypto-vectors';

export interface SuiteOutput {
  sha256: string[];
  hmac: string[];
  chacha20: string[];
  golden: { key: string; command: unknown; reply: unknown; openedReply: JsonObject; uppercaseMac: string };
  errors: Record<string, string>;
  roundTrips: { packet: unknown; opened: JsonObject }[];
  wol: string[];
}

function repeatedBytes(text: string, repeat: number): Uint8Array {
  const unit = utf8Encode(text);
  const out = new Uint8Array(unit.length * repeat);
  for (let i = 0; i < repeat; i++) out.set(unit, i * unit.length);
  return out;
}

/** xorshift32: deterministic inputs that are identical on every engine. */
function prng(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      out[i] = state & 0xff;
    }
    return out;
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return error instanceof ProtocolError ? error.code : `not a ProtocolError: ${String(error)}`;
  }
}

export function runSharedSuite(): SuiteOutput {
  const key = deriveKey(GOLDEN.token);
  const command = sealPacket({ key, deviceId: GOLDEN.deviceId, inner: GOLDEN.command.inner, nonce: fromHex(GOLDEN.command.nonceHex) });
  const reply = sealPacket({
    key, deviceId: GOLDEN.deviceId, inner: GOLDEN.reply.inner, nonce: fromHex(GOLDEN.reply.nonceHex),
    requestCounter: GOLDEN.reply.requestCounter,
  });
  const sealed = (inner: string) => sealPacket({ key, deviceId: 'WL1', inner, nonce: new Uint8Array(16) });
  const withPayload = (payload: string) => {
    const signature = toHex(referenceCrypto.hmacSha256(key, utf8Encode(payload)));
    return { device_id: 'WL1', payload, signature, version: '1.0' };
  };
  const good = sealed('{"command":"ping"}');
  const errors: Record<string, string> = {
    shortToken: codeOf(() => deriveKey('x'.repeat(31))),
    outerJson: codeOf(() => openPacket({ key, packet: '{"device_id":' })),
    numericVersion: codeOf(() => openPacket({ key, packet: { ...good, version: 1.0 as unknown as string } })),
    emptyPayload: codeOf(() => openPacket({ key, packet: { ...good, payload: '' } })),
    badSignature: codeOf(() => openPacket({ key, packet: { ...good, signature: '0'.repeat(64) } })),
    oddHex: codeOf(() => openPacket({ key, packet: withPayload(good.payload + '0') })),
    nonHex: codeOf(() => openPacket({ key, packet: withPayload(good.payload.slice(0, -2) + 'zz') })),
    tooShort: codeOf(() => openPacket({ key, packet: withPayload('0001' + '00'.repeat(19)) })),
    zeroLength: codeOf(() => openPacket({ key, packet: withPayload('0000' + '00'.repeat(20)) })),
    overLength: codeOf(() => openPacket({ key, packet: withPayload('01f5' + '00'.repeat(20)) })),
    oversizePayload: codeOf(() => openPacket({ key, packet: withPayload('01f5' + '00'.repeat(501 + 16)) })),
    trailingByte: codeOf(() => openPacket({ key, packet: withPayload(good.payload + '00') })),
    innerJson: codeOf(() => openPacket({ key, packet: sealed('not json') })),
    plaintext501: codeOf(() => sealed('x'.repeat(501))),
  };
  const random = prng(0x5eed);
  const roundTrips = [];
  for (let i = 0; i < 8; i++) {
    const inner = { command: 'wake', data: { mac: toHex(random(6)) }, request_id: toHex(random(4)), timestamp: 1733500000 + i };
    const packet = sealPacket({ key: random(32), deviceId: 'WL' + i, inner, nonce: random(16), requestCounter: i });
    roundTrips.push({ packet, opened: {} as JsonObject });
  }
  const random2 = prng(0x5eed);
  for (const trip of roundTrips) {
    random2(6); random2(4);
    const tripKey = random2(32);
    random2(16);
    trip.opened = openPacket({ key: tripKey, packet: trip.packet as never });
  }
  return {
    sha256: SHA256_VECTORS.map((v) => toHex(sha256(v.hex ? fromHex(v.hex) : repeatedBytes(v.ascii ?? '', v.repeat ?? 1)))),
    hmac: HMAC_VECTORS.map((v) => toHex(hmacWith(sha256, fromHex(v.keyHex), fromHex(v.dataHex)))),
    chacha20: CHACHA20_VECTORS.map((v) => toHex(chacha20(fromHex(v.keyHex), fromHex(v.nonceHex), fromHex(v.plainHex), v.counter))),
    golden: {
      key: toHex(key),
      command,
      reply,
      openedReply: openPacket({ key, packet: JSON.stringify(reply) }),
      uppercaseMac: toHex(referenceCrypto.hmacSha256(key, utf8Encode(GOLDEN.reply.payload.toUpperCase()))),
    },
    errors,
    roundTrips,
    wol: [toHex(buildMagicPacket(parseMac('aa-bb-cc-dd-ee-ff'))), toHex(buildMagicPacket('AABB.CCDD.EEFF', '01:02:03:04:05:06'))],
  };
}
