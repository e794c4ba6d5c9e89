import { describe, expect, it } from 'vitest';
import { GOLDEN } from '../vectors/crypto-vectors';
import { bootDevice, LAN_PORT } from './helpers/harness';

describe('golden vector (spec 1.7) through the device', () => {
  it('answers the golden ping with the golden reply, byte for byte', () => {
    const device = bootDevice();
    device.random.push(GOLDEN.reply.nonceHex);
    const line = JSON.stringify({ device_id: GOLDEN.deviceId, payload: GOLDEN.command.payload, signature: GOLDEN.command.signature, version: '1.0' });
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send(line + '\n');
    expect(peer.text).toBe(
      `{"device_id":"${GOLDEN.deviceId}","payload":"${GOLDEN.reply.payload}","signature":"${GOLDEN.reply.signature}",` +
        `"request_counter":${GOLDEN.reply.requestCounter},"version":"1.0"}\n`,
    );
    expect(peer.closed).toBe(true);
  });

  it('accepts the relay re-serialised form (spaces after separators) and an uppercase signature', () => {
    const device = bootDevice();
    device.random.push(GOLDEN.reply.nonceHex);
    const line = `{"device_id": "${GOLDEN.deviceId}", "payload": "${GOLDEN.command.payload}", "signature": "${GOLDEN.command.signature.toUpperCase()}", "request_counter": null, "version": "1.0"}`;
    const peer = device.platform.tcp.connect(LAN_PORT);
    peer.send(line + '\r\n');
    expect(peer.text).toContain(`"payload":"${GOLDEN.reply.payload}"`);
  });
});
