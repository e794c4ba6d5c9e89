import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../server/store/sqlite-store';
import { tempDir } from './helpers/relay';

const TTL = 1000;
const CAP = 4;
const DEVICES = ['WLE1A', 'WLE2A'];

type Op =
  | { kind: 'enqueue'; device: number }
  | { kind: 'live'; device: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'connect'; device: number }
  | { kind: 'answer'; device: number }
  | { kind: 'sweep' }
  | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), device: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('live' as const), device: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1200 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('connect' as const), device: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('answer' as const), device: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/**
 * Catalogue 6.4 "relay queue state machine": the SQLite queue against a plain model. Invariants:
 * nothing is lost before its TTL, nothing is delivered after it, the cap holds (in-flight rows
 * count), a restart (close and reopen the file) keeps the pending set and attempt counts, delivery
 * is in submission order, and a delivered row stays until answered or expired (F4). A command
 * forwarded live is stored as delivered once, whatever the cap (issue 12 item 11).
 */
describe('queue model (fast-check)', () => {
  it('matches the model across enqueue / live / tick / connect / answer / sweep / restart', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dir = tempDir('wl-model-');
        const file = join(dir, 'q.db');
        let store: SqliteStore = createSqliteStore(file);
        try {
          const user = store.createUserWithToken({ username: 'model', passwordHash: 'x', devicesLimit: 5 }, { tokenHash: 'h', prefix: 'p', name: '' }, 0);
          for (const id of DEVICES) store.registerDevice(user!.user.id, id, '', 5, 0);
          let now = 1_000_000;
          let serial = 0;
          const model = new Map<string, { tag: string; id: number; expiresAt: number; attempts: number }[]>(DEVICES.map((d) => [d, []]));
          const live = (device: string) => model.get(device)!.filter((c) => c.expiresAt > now);
          for (const step of ops) {
            if (step.kind === 'tick') now += step.ms;
            if (step.kind === 'restart') {
              await store.close();
              store = createSqliteStore(file);
            }
            if (step.kind === 'enqueue') {
              const device = DEVICES[step.device]!;
              const tag = (serial++).toString(16).padStart(4, '0');
              const result = await store.enqueue({ deviceId: device, payload: tag, signature: 'f'.repeat(64) }, now, TTL, CAP);
              if (live(device).length >= CAP) {
                expect(result).toEqual({ ok: false, reason: 'queue_full' });
              } else {
                expect(result.ok).toBe(true);
                if (result.ok) model.get(device)!.push({ tag, id: result.id, expiresAt: now + TTL, attempts: 0 });
              }
            }
            if (step.kind === 'live') {
              const device = DEVICES[step.device]!;
              const tag = (serial++).toString(16).padStart(4, '0');
              const result = await store.recordInFlight({ deviceId: device, payload: tag, signature: 'f'.repeat(64) }, now, TTL);
              expect(result.ok).toBe(true);
              if (result.ok) model.get(device)!.push({ tag, id: result.id, expiresAt: now + TTL, attempts: 1 });
            }
            if (step.kind === 'connect') {
              // A (re)connect delivers every live row in order, in-flight ones included.
              const device = DEVICES[step.device]!;
              const delivered = store.pendingFor(device, now);
              expect(delivered.map((c) => [c.payload, c.attempts])).toEqual(live(device).map((c) => [c.tag, c.attempts]));
              store.markDelivered(delivered.map((c) => c.id), now);
              // Expired rows were skipped, not deleted: they stay for the sweep.
              model.set(device, model.get(device)!.map((c) => (c.expiresAt > now ? { ...c, attempts: c.attempts + 1 } : c)));
            }
            if (step.kind === 'answer') {
              const device = DEVICES[step.device]!;
              const oldest = live(device).find((c) => c.attempts > 0);
              if (oldest) {
                store.forget([oldest.id]);
                // Forgetting rides on the next group commit.
                await new Promise((resolve) => setImmediate(resolve));
                model.set(device, model.get(device)!.filter((c) => c !== oldest));
              }
            }
            if (step.kind === 'sweep') {
              const expired = store.takeExpired(now);
              const expected = DEVICES.flatMap((d) => model.get(d)!.filter((c) => c.expiresAt <= now).map((c) => [c.id, c.attempts]));
              expect(expired.map((c) => [c.id, c.attempts]).sort()).toEqual(expected.sort());
              for (const d of DEVICES) model.set(d, live(d));
            }
          }
        } finally {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 50 },
    );
  });
});
