/**
 * The code-guessing guard (server/auth/one-time-codes.ts) on its own, with a ManualClock: each
 * budget (per address, per scope, relay-wide, per code) and the code lifecycle. The end-to-end
 * guessing test through the relay is in pairing.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { OneTimeCodes, type OneTimeCodeBounds } from '../../server/auth/one-time-codes';
import { ManualClock } from './helpers/relay';

const BOUNDS: OneTimeCodeBounds = {
  digits: 6, ttlMs: 600_000, codesPerScope: 4, codesTotal: 1000, windowMs: 60_000,
  failuresPerScope: 1000, failuresPerAddress: 1000, failuresGlobal: 1000, failuresPerCode: 1000, maxTrackedKeys: 1000,
};

function make(overrides: Partial<OneTimeCodeBounds> = {}) {
  const clock = new ManualClock();
  return { clock, codes: new OneTimeCodes<string>({ ...BOUNDS, ...overrides }, clock) };
}

function issue(codes: OneTimeCodes<string>, scope: string, value: string): string {
  const issued = codes.issue(scope, value);
  if (!issued.ok) throw new Error(`not issued: ${issued.reason}`);
  return issued.code;
}

const wrong = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

describe('one-time codes', () => {
  it('six digits, single use, scoped, expiring; the scope bound is kept', () => {
    const { clock, codes } = make();
    const code = issue(codes, 'acct1', 'host-a');
    expect(code).toMatch(/^\d{6}$/);
    expect(codes.redeem('acct2', 'a', code)).toBeNull();
    expect(codes.redeem('acct1', 'a', code)).toBe('host-a');
    expect(codes.redeem('acct1', 'a', code)).toBeNull();
    const later = issue(codes, 'acct1', 'host-b');
    clock.advance(600_000);
    expect(codes.redeem('acct1', 'a', later)).toBeNull();
    for (let i = 0; i < 4; i += 1) issue(codes, 'acct1', `h${i}`);
    expect(codes.issue('acct1', 'h5')).toEqual({ ok: false, reason: 'scope_limit' });
    expect(codes.issue('acct9', 'other').ok).toBe(true);
  });

  it('malformed input and a refused match fail like a wrong code; a refused match leaves the code', () => {
    const { codes } = make();
    const code = issue(codes, 's', 'host');
    for (const bad of ['', '12345', '1234567', 'abcdef', ` ${code.slice(1)}`]) expect(codes.redeem('s', 'a', bad)).toBeNull();
    expect(codes.redeem('s', 'a', code, () => false)).toBeNull();
    expect(codes.redeem('s', 'a', code)).toBe('host');
  });

  it('a live code is burned after failuresPerCode wrong codes in its scope, and stays dead', () => {
    const { codes } = make({ failuresPerCode: 3 });
    const code = issue(codes, 's', 'host');
    for (let i = 1; i <= 3; i += 1) expect(codes.redeem('s', `a${i}`, wrong(code, i))).toBeNull();
    expect(codes.burned).toBe(1);
    expect(codes.redeem('s', 'a0', code)).toBeNull();
    // Codes issued after the attack are not affected by it.
    const fresh = issue(codes, 's', 'host');
    expect(codes.redeem('s', 'a0', fresh)).toBe('host');
  });

  it('over its budget an address gets no comparison at all, even with the right code; other addresses still can; the window ends it', () => {
    const { clock, codes } = make({ failuresPerAddress: 2 });
    const code = issue(codes, 's', 'host');
    codes.redeem('s', 'evil', wrong(code, 1));
    codes.redeem('s', 'evil', wrong(code, 2));
    expect(codes.redeem('s', 'evil', code)).toBeNull();
    expect(codes.redeem('s', 'good', code)).toBe('host');
    const next = issue(codes, 's', 'host2');
    expect(codes.redeem('s', 'evil', next)).toBeNull();
    clock.advance(60_000);
    expect(codes.redeem('s', 'evil', next)).toBe('host2');
  });

  it('the scope budget and the relay-wide budget stop guessing from any number of addresses', () => {
    const scoped = make({ failuresPerScope: 5 });
    const code = issue(scoped.codes, 's', 'host');
    for (let i = 1; i <= 5; i += 1) scoped.codes.redeem('s', `addr${i}`, wrong(code, i));
    expect(scoped.codes.redeem('s', 'addr-new', code)).toBeNull();
    const global = make({ failuresGlobal: 5 });
    const mine = issue(global.codes, 'victim', 'host');
    for (let i = 1; i <= 5; i += 1) global.codes.redeem(`other${i}`, `addr${i}`, '000000');
    expect(global.codes.redeem('victim', 'addr-new', mine)).toBeNull();
    global.clock.advance(60_000);
    expect(global.codes.redeem('victim', 'addr-new', mine)).toBe('host');
  });
});
