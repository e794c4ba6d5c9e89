import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../server/store/sqlite-store';
import { tempDir } from './helpers/relay';

const TTL = 1000;
const CAP = 4;
const DEVICES = ['WLM1', 'WLM2'];

type Op =
  | { kind: 'enqueue'; device: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'connect'; device: number }
  | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), device: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1200 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('connect' as const), device: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/**
 * Catalogue 6.4 "relay queue state machine": the SQLite queue against a plain model. Invariants:
 * nothing is lost before its TTL, nothing is delivered after it, the cap holds, a restart (close and
 * reopen the file) keeps the pending set, and delivery is in submission order.
 */
describe('queue model (fast-check)', () => {
  it('matches the model across enqueue / tick / connect / restart', async () => {
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
          const model = new Map<string, { tag: string; expiresAt: number }[]>(DEVICES.map((d) => [d, []]));
          for (const step of ops) {
            if (step.kind === 'tick') now += step.ms;
            if (step.kind === 'restart') {
              await store.close();
              store = createSqliteStore(file);
            }
            if (step.kind === 'enqueue') {
              const device = DEVICES[step.device]!;
              const tag = (serial++).toString(16).padStart(4, '0');
              const live = model.get(device)!.filter((c) => c.expiresAt > now);
              const result = await store.enqueue({ deviceId: device, payload: tag, signature: 'f'.repeat(64) }, now, TTL, CAP);
              if (live.length >= CAP) {
                expect(result).toEqual({ ok: false, reason: 'queue_full' });
              } else {
                expect(result.ok).toBe(true);
                model.get(device)!.push({ tag, expiresAt: now + TTL });
              }
            }
            if (step.kind === 'connect') {
              const device = DEVICES[step.device]!;
              const delivered = store.pendingFor(device, now);
              store.remove(delivered.map((c) => c.id));
              const expected = model.get(device)!.filter((c) => c.expiresAt > now).map((c) => c.tag);
              expect(delivered.map((c) => c.payload)).toEqual(expected);
              model.set(device, []);
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
