import { describe, expect, it } from 'vitest';
import { v1AckText } from '../../server/routing/handlers/commands';

describe("v1.0's ACK of a client packet", () => {
  it('is byte for byte what JSON.stringify gives for the v1.0 ACK object, for every outcome and any device ID', () => {
    for (const deviceId of ['WL0', 'WLA0D17', 'WL"\\\u2028x']) {
      for (const delivered of [true, false]) {
        for (const queued of [true, false]) {
          const expected = JSON.stringify({
            status: 'success', device_id: deviceId, delivered, queued, message: delivered ? 'Delivered to device' : 'Device offline, queued',
          });
          expect(v1AckText(deviceId, { delivered, queued })).toBe(expected);
        }
      }
    }
  });
});
