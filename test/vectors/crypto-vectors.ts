/**
 * Published test vectors (facts, not code): RFC 8439 (ChaCha20), RFC 4231 (HMAC-SHA256),
 * NIST FIPS 180 examples (SHA-256), and the golden packets of wakelink-v1.md section 1.7.
 * Inputs are hex or ASCII; the same file is bundled into the XS engine test.
 */
export interface HashVector { name: string; ascii?: string; hex?: string; repeat?: number; digest: string }
export interface HmacVector { name: string; keyHex: string; dataHex: string; mac: string; truncateBytes?: number }
export interface ChachaVector { name: string; keyHex: string; nonceHex: string; counter: number; plainHex: string; cipherHex: string }

export const SHA256_VECTORS: HashVector[] = [
  { name: 'NIST empty', ascii: '', digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  { name: 'NIST abc', ascii: 'abc', digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  {
    name: 'NIST 448-bit',
    ascii: 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    digest: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
  { name: 'NIST one million a', ascii: 'a', repeat: 1_000_000, digest: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0' },
];

const ascii = (text: string): string => Array.from(text, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
const fill = (byte: string, count: number): string => byte.repeat(count);

export const HMAC_VECTORS: HmacVector[] = [
  { name: 'RFC 4231 case 1', keyHex: fill('0b', 20), dataHex: ascii('Hi There'), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { name: 'RFC 4231 case 2', keyHex: ascii('Jefe'), dataHex: ascii('what do ya want for nothing?'), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { name: 'RFC 4231 case 3', keyHex: fill('aa', 20), dataHex: fill('dd', 50), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  {
    name: 'RFC 4231 case 4',
    keyHex: '0102030405060708090a0b0c0d0e0f10111213141516171819',
    dataHex: fill('cd', 50),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  { name: 'RFC 4231 case 5', keyHex: fill('0c', 20), dataHex: ascii('Test With Truncation'), mac: 'a3b6167473100ee06e0c796c2955552b', truncateBytes: 16 },
  {
    name: 'RFC 4231 case 6',
    keyHex: fill('aa', 131),
    dataHex: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'RFC 4231 case 7',
    keyHex: fill('aa', 131),
    dataHex: ascii(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

export const CHACHA20_VECTORS: ChachaVector[] = [
  {
    name: 'RFC 8439 2.4.2 sunscreen',
    keyHex: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    nonceHex: '000000000000004a00000000',
    counter: 1,
    plainHex: ascii(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    ),
    cipherHex:
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
      '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
  },
  {
    name: 'RFC 8439 A.2 #1',
    keyHex: fill('00', 32),
    nonceHex: fill('00', 12),
    counter: 0,
    plainHex: fill('00', 64),
    cipherHex:
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
  },
  {
    name: 'RFC 8439 A.2 #3 jabberwocky',
    keyHex: '1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0',
    nonceHex: '000000000000000000000002',
    counter: 42,
    plainHex: ascii(
      "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe.",
    ),
    cipherHex:
      '62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb' +
      'f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f7704c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1',
  },
];

/** wakelink-v1.md section 1.7: both packets, byte for byte. */
export const GOLDEN = {
  token: 'WakeLinkExampleToken0123456789abcdefXYZ',
  keyHex: 'cc140e0a9a80a3f96c4985bfe726dd664e86eacd19b9d83482a6a68fb390c53e',
  deviceId: 'WL35080814',
  command: {
    inner: '{"command":"ping","data":{},"request_id":"1a2b3c4d","timestamp":1733500000}',
    nonceHex: '000102030405060708090a0b0c0d0e0f',
    payload:
      '004b412d1ca51ba9000bc2c0feb094d8dd2ee6e69effe229dbf10f8d77a8635aca892c6df074674b00e71a4b0c63617ad97ffcd67fde8c7d54242e8b7de90721eb3448c601899d9bd3325295c4000102030405060708090a0b0c0d0e0f',
    signature: 'df6a75d1df6293d772bdd38cb5907b562c330beec3a757ff2a1ac605b77dfd4b',
  },
  reply: {
    inner: '{"status":"success","result":"pong","request_id":"1a2b3c4d"}',
    nonceHex: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    payload:
      '003c714cec85a917920f579c5df7e0fdcfc0e91f515a41f270b71abef9e4e36f05f5464c6df611bd145b880cff32fce054a3385171db097214b26433c361f0e1d2c3b4a5968778695a4b3c2d1e0f',
    signature: 'a24b578053548838dcaa514339e4204e31c89e9284f96d24a5edea8e275da71e',
    requestCounter: 1,
  },
  uppercasePayloadMacPrefix: 'afc1c4a4',
  uppercasePayloadMacSuffix: 'bd0e',
} as const;
