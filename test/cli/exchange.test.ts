import { describe, expect, it } from 'vitest';
import { deriveKey, openPacket, sealPacket } from '../../shared/index';
import { nodeCrypto } from '../../node/crypto';
import { checkReply, keyFromToken, sealRequest } from '../../cli/exchange';

const TOKEN = 'WakeLinkExampleToken0123456789abcdefXYZ';

describe('request packets', () => {
  it('inner command is {command, data, request_id: 8 hex, timestamp: seconds} and opens with shared/', () => {
    const key = keyFromToken('sim', TOKEN);
    const sealed = sealRequest('WL35080814', key, 'wake', { mac: 'AA:BB:CC:DD:EE:FF' }, 1_733_500_000_999);
    expect(Object.keys(sealed.envelope)).toEqual(['device_id', 'payload', 'signature', 'version']);
    const inner = openPacket({ key: deriveKey(TOKEN), packet: sealed.envelope });
    expect(inner).toEqual({ command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF' }, request_id: sealed.requestId, timestamp: 1_733_500_000 });
    expect(sealed.requestId).toMatch(/^[0-9a-f]{8}$/);
  });

  it('every packet gets a fresh 16-byte nonce and request id', () => {
    const key = keyFromToken('sim', TOKEN);
    const nonces = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const sealed = sealRequest('WL1', key, 'ping', {}, 0);
      nonces.add(sealed.envelope.payload.slice(-32));
      ids.add(sealed.requestId);
    }
    expect(nonces.size).toBe(200);
    expect(ids.size).toBeGreaterThan(195); // 32-bit ids: a rare birthday collision is allowed
  });

  it('short tokens are refused before anything is sent', () => {
    expect(() => keyFromToken('sim', 'short')).toThrow(/shorter than 32 characters/);
    expect(() => keyFromToken('sim', undefined)).toThrow(/has no token/);
  });

  it('reply matching: own id, null-id error replies, foreign ids, wrong key', () => {
    const key = keyFromToken('sim', TOKEN);
    const request = sealRequest('WL1', key, 'ping', {});
    const reply = (inner: object, token = TOKEN) => sealPacket({ key: deriveKey(token), deviceId: 'WL1', inner, nonce: nodeCrypto.randomBytes(16), requestCounter: 7 });
    expect(checkReply(request, reply({ status: 'success', result: 'pong', request_id: request.requestId }))).toMatchObject({ kind: 'match', requestCounter: 7 });
    expect(checkReply(request, reply({ status: 'error', error: 'REPLAY_DETECTED', request_id: null }))).toMatchObject({ kind: 'match' });
    expect(checkReply(request, reply({ status: 'success', result: 'pong', request_id: null }))).toMatchObject({ kind: 'foreign' });
    expect(checkReply(request, reply({ status: 'success', result: 'pong', request_id: 'ffffffff' }))).toMatchObject({ kind: 'foreign' });
    expect(checkReply(request, reply({ status: 'success', request_id: request.requestId }, 'Another-token-0123456789abcdefghijkl'))).toEqual({ kind: 'bad-signature' });
    expect(checkReply(request, { payload: 'zz', signature: 'aa', version: '1.0' })).toMatchObject({ kind: 'bad-signature' });
    expect(checkReply(request, 'nope')).toMatchObject({ kind: 'malformed' });
  });
});
