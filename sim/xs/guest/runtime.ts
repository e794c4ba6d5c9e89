/**
 * Entry of the firmware inside XS: waits for the host's `boot` event, then runs the unchanged
 * `startDevice` over the bridged platform. xsnap drains the promise job queue after every
 * `handleCommand` (fxRunLoop in xsnap-worker.c), so each event is fully settled before the next.
 */
import type { DeviceHandle, StartDevice } from '../../../firmware/platform/types';
import type { GuestReply } from '../protocol';
import { onHostEvents } from './channel';
import { createGuestPlatform, type GuestPlatform } from './platform';

export function runGuest(startDevice: StartDevice): void {
  let guest: GuestPlatform | undefined;
  let device: DeviceHandle | undefined;
  onHostEvents((event): GuestReply => {
    if (event.ev === 'boot') {
      if (guest !== undefined) return { ok: false, error: 'already booted: a reboot starts a fresh XS machine' };
      guest = createGuestPlatform();
      device = startDevice(guest.platform, event.options);
      return { ok: true, status: device.status() };
    }
    if (guest === undefined) return { ok: false, error: `event ${event.ev} before boot` };
    if (event.ev === 'status') return device ? { ok: true, status: device.status() } : { ok: false, error: 'no device' };
    if (event.ev === 'stop') {
      device?.stop();
      return { ok: true };
    }
    if (guest.dispatch(event)) return { ok: true };
    return { ok: false, error: `unknown event ${event.ev}` };
  });
}
