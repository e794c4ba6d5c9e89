import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeviceId } from '../../cli/management';
import { deviceIdFromChip as firmwareDeviceId } from '../../firmware/identity';
import { isDeviceId as relayIsDeviceId } from '../../server/relay/packets';
import { chipIdFromDeviceId, deviceIdFromChip, isDeviceId } from '../../shared/index';
import { chipIdFromDeviceId as simChipId } from '../../sim/args';
import { api, registerUser, type TestUser } from '../relay/helpers/http';
import { startRelay, type RunningRelay } from '../relay/helpers/relay';
import { WsProbe } from '../relay/helpers/ws';

const VALID = ['WL35080814', 'WL0', 'WL1', 'WLABC', 'WLDEADBEEF', 'WL1A2B3C'];
// A letter O, padding, lower case, too long, wrong prefix, path/URL characters, empty.
const INVALID = ['WL2OFF00', 'WL00AB12', 'WL01', 'wl1a2b', 'WL1a2b', 'WL123456789', 'XX12', 'WL', 'WL-1', 'WL1/2', 'WL1 ', 'sim', ''];

describe('one device-id rule (shared/device-id.ts) for relay, simulator, CLI and firmware', () => {
  it('accepts exactly what the firmware prints: WL + chip id in upper-case hex without leading zeros', () => {
    for (const id of VALID) expect(isDeviceId(id), id).toBe(true);
    for (const id of INVALID) expect(isDeviceId(id), id).toBe(false);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (chip) => {
      const id = deviceIdFromChip(chip);
      return isDeviceId(id) && chipIdFromDeviceId(id) === chip;
    }));
    expect(chipIdFromDeviceId('WL2OFF00')).toBeNull();
  });

  it('the firmware, the simulator, the CLI and the relay use it', () => {
    expect(firmwareDeviceId).toBe(deviceIdFromChip);
    for (const id of VALID) {
      expect(simChipId(id)).toBe(parseInt(id.slice(2), 16));
      expect(checkDeviceId(id)).toBe(id);
      expect(relayIsDeviceId(id)).toBe(true);
    }
    for (const id of INVALID) {
      expect(() => simChipId(id), id).toThrow(RangeError);
      expect(() => checkDeviceId(id), id).toThrow(/must be "WL" followed by 1-8 upper-case hex digits/);
      expect(relayIsDeviceId(id), id).toBe(false);
    }
  });

  describe('on the relay', () => {
    let relay: RunningRelay;
    let user: TestUser;
    beforeAll(async () => {
      relay = await startRelay();
      user = await registerUser(relay.http);
    });
    afterAll(() => relay.close());

    it('register_device, device/create, the device socket path and push refuse WL2OFF00 and change nothing', async () => {
      const registered = await api(relay.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: 'WL2OFF00' } });
      expect(registered.status).toBe(422);
      expect(registered.body).toMatchObject({ error: 'VALIDATION' });
      const created = await api(relay.http, 'POST', '/api/device/create', { token: user.token, body: { device_id: 'WL2OFF00', device_token: 'x'.repeat(40) } });
      expect(created.status).toBe(400);
      const socket = new WsProbe(`${relay.ws}/ws/WL2OFF00`);
      await socket.opened.catch(() => undefined);
      expect(socket.unexpectedResponse).toBe(400);
      const pushed = await api(relay.http, 'POST', '/api/push', { token: user.token, body: { device_id: 'WL2OFF00', payload: 'ab'.repeat(40), signature: 'cd'.repeat(32) } });
      expect(pushed.status).toBe(400);
      expect((await api(relay.http, 'GET', '/api/devices', { token: user.token })).body.devices).toEqual([]);
      expect((await api(relay.http, 'POST', '/api/register_device', { token: user.token, body: { device_id: 'WL2AFF00' } })).status).toBe(200);
    });
  });
});
