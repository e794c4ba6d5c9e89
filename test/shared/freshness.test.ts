import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, FreshnessGuard } from '../../shared/index';

const nonce = (n: number) => new Uint8Array(16).fill(0).map((_, i) => (i < 4 ? (n >>> (i * 8)) & 0xff : 0));

describe('FreshnessGuard (B11 for v1.0 packets: nonce and request-id memory)', () => {
  it('accepts a v1.0 client packet once and refuses the same packet again', () => {
    const guard = new FreshnessGuard();
    guard.accept({ nonce: nonce(1), requestId: '1a2b3c4d', timestamp: 1733500000, nowSeconds: 1733500010 });
    expect(() => guard.accept({ nonce: nonce(1), requestId: '1a2b3c4d', timestamp: 1733500000 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.REPLAY_DETECTED }),
    );
  });

  it('refuses a reused request id under a new nonce, and a reused nonce under a new id', () => {
    const guard = new FreshnessGuard();
    guard.accept({ nonce: nonce(1), requestId: 'aaaaaaaa' });
    expect(() => guard.accept({ nonce: nonce(2), requestId: 'aaaaaaaa' })).toThrow(/already/);
    expect(() => guard.accept({ nonce: nonce(1), requestId: 'bbbbbbbb' })).toThrow(/already/);
  });

  it('ignores the 4 dead bytes of the nonce block (only 12 are the ChaCha20 nonce)', () => {
    const guard = new FreshnessGuard();
    const a = nonce(5);
    const b = nonce(5);
    b[15] = 0xff;
    guard.accept({ nonce: a });
    expect(() => guard.accept({ nonce: b })).toThrow(/already/);
  });

  it('checks the timestamp only when a trusted clock is supplied', () => {
    const guard = new FreshnessGuard({ windowSeconds: 60 });
    guard.accept({ nonce: nonce(1), timestamp: 5 });
    expect(() => guard.accept({ nonce: nonce(2), timestamp: 1000, nowSeconds: 1061 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.STALE_TIMESTAMP }),
    );
    expect(() => guard.accept({ nonce: nonce(3), timestamp: '1000', nowSeconds: 1000 })).toThrow(/window/);
    guard.accept({ nonce: nonce(4), timestamp: 1000, nowSeconds: 1060 });
  });

  it('a refused packet is not remembered (a stale one can not evict a fresh one)', () => {
    const guard = new FreshnessGuard({ windowSeconds: 10 });
    expect(() => guard.accept({ nonce: nonce(9), timestamp: 0, nowSeconds: 100 })).toThrow();
    guard.accept({ nonce: nonce(9), timestamp: 100, nowSeconds: 100 });
  });

  it('stays bounded and matches a model of the last N accepted packets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 300 }), (ids) => {
        const capacity = 8;
        const guard = new FreshnessGuard({ capacity });
        const recent: number[] = [];
        for (const id of ids) {
          const expectedReplay = recent.includes(id);
          let replay = false;
          try {
            guard.accept({ nonce: nonce(id) });
          } catch {
            replay = true;
          }
          expect(replay).toBe(expectedReplay);
          if (!replay) {
            recent.push(id);
            // Without request ids every accepted packet costs one slot; the ring keeps 2 x capacity keys.
            if (recent.length > capacity * 2) recent.shift();
          }
          expect(guard.size).toBeLessThanOrEqual(capacity * 2);
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('FreshnessGuard floor (F13: replays across a reboot)', () => {
  const T = 1733500000;

  it('refuses timestamps at or below the pre-reboot floor even without a clock', () => {
    const guard = new FreshnessGuard({ floorSeconds: T });
    expect(() => guard.accept({ nonce: nonce(1), timestamp: T })).toThrow(expect.objectContaining({ code: ErrorCodes.STALE_TIMESTAMP }));
    expect(() => guard.accept({ nonce: nonce(2), timestamp: T - 100 })).toThrow(/before the reboot/);
    guard.accept({ nonce: nonce(3), timestamp: T + 1 });
  });

  it('tracks the highest accepted timestamp, to persist as the next floor', () => {
    const guard = new FreshnessGuard({ floorSeconds: T });
    expect(guard.highestTimestamp).toBe(T);
    guard.accept({ nonce: nonce(1), timestamp: T + 9 });
    guard.accept({ nonce: nonce(2), timestamp: T + 5 }); // an older (but post-boot) one still passes...
    expect(guard.highestTimestamp).toBe(T + 9); // ...and does not lower the mark
  });

  it('ignores implausible timestamps (milliseconds, strings) for the floor in both directions', () => {
    const guard = new FreshnessGuard({ floorSeconds: T });
    guard.accept({ nonce: nonce(1), timestamp: 1733500000123 });
    guard.accept({ nonce: nonce(2), timestamp: 'soon' });
    guard.accept({ nonce: nonce(3) });
    expect(guard.highestTimestamp).toBe(T);
    expect(new FreshnessGuard({ floorSeconds: 1733500000123 }).floorSeconds).toBeUndefined();
  });
});

describe('FreshnessGuard floor and read-only commands', () => {
  it('does not apply the floor to read-only commands, but still refuses their replays within a boot', () => {
    const guard = new FreshnessGuard({ floorSeconds: 1733500000 });
    guard.accept({ nonce: nonce(1), timestamp: 1733500000, readOnly: true });
    expect(() => guard.accept({ nonce: nonce(1), timestamp: 1733500000, readOnly: true })).toThrow(/already/);
    expect(() => guard.accept({ nonce: nonce(2), timestamp: 1733500000 })).toThrow(/before the reboot/);
  });
});

describe('FreshnessGuard: far-future timestamps cannot lock state changes out (F13)', () => {
  const T = 1733500000;
  const Y2100 = 4102444800;

  it('ignores a floor above now + window once the clock is known, and never reports it to persist', () => {
    const guard = new FreshnessGuard({ floorSeconds: Y2100, windowSeconds: 300 });
    expect(() => guard.accept({ nonce: nonce(1), timestamp: T })).toThrow(/before the reboot/); // no clock yet
    guard.accept({ nonce: nonce(2), timestamp: T, nowSeconds: T + 10 });
    expect(guard.floorIgnored).toBe(true);
    expect(guard.highestTimestamp).toBe(T);
    guard.accept({ nonce: nonce(3), timestamp: T + 5 }); // stays ignored
  });

  it('keeps a floor that is not in the future once the clock is known', () => {
    const guard = new FreshnessGuard({ floorSeconds: T, windowSeconds: 300 });
    expect(() => guard.accept({ nonce: nonce(1), timestamp: T, nowSeconds: T + 10 })).toThrow(/before the reboot/);
    expect(guard.floorIgnored).toBe(false);
  });

  it('before SNTP the mark moves at most to the boot floor + uptime + window', () => {
    const guard = new FreshnessGuard({ floorSeconds: T, windowSeconds: 300 });
    guard.accept({ nonce: nonce(1), timestamp: Y2100, uptimeSeconds: 20 });
    expect(guard.highestTimestamp).toBe(T + 20 + 300);
    guard.accept({ nonce: nonce(2), timestamp: T + 30, uptimeSeconds: 40 }); // an honest client still gets through
  });

  it('without a floor, the first timestamp accepted this boot anchors the bound', () => {
    const guard = new FreshnessGuard({ windowSeconds: 300 });
    guard.accept({ nonce: nonce(1), timestamp: T, uptimeSeconds: 5 });
    guard.accept({ nonce: nonce(2), timestamp: Y2100, uptimeSeconds: 60 });
    expect(guard.highestTimestamp).toBe(T + 60 + 300);
  });

  it('with a clock the mark never exceeds now + window', () => {
    const guard = new FreshnessGuard({ windowSeconds: 300 });
    guard.accept({ nonce: nonce(1), timestamp: T + 300, nowSeconds: T });
    expect(guard.highestTimestamp).toBe(T + 300);
  });
});

describe('FreshnessGuard: within one boot, before SNTP', () => {
  const T = 1733500000;

  it('refuses a state-changing packet older than the highest accepted timestamp minus the window; read-only is exempt', () => {
    const guard = new FreshnessGuard({ capacity: 1, windowSeconds: 300 });
    guard.accept({ nonce: nonce(1), timestamp: T, uptimeSeconds: 0 });
    guard.accept({ nonce: nonce(2), timestamp: T + 1000, uptimeSeconds: 1000 });
    guard.accept({ nonce: nonce(3), timestamp: T + 1001, uptimeSeconds: 1000 });
    // nonce 1 has left the ring (capacity 1): only the timestamp rule refuses it now.
    expect(() => guard.accept({ nonce: nonce(1), timestamp: T, uptimeSeconds: 1000 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.STALE_TIMESTAMP }),
    );
    guard.accept({ nonce: nonce(4), timestamp: T, readOnly: true, uptimeSeconds: 1000 });
    guard.accept({ nonce: nonce(5), timestamp: T + 1001 - 300, uptimeSeconds: 1000 });
  });
});
