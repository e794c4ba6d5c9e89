import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, fromHex, isHex, toHex, utf8Decode, utf8Encode } from '../../shared/index';

describe('hex (B9)', () => {
  it('emits lowercase and decodes either case', () => {
    expect(toHex(new Uint8Array([0, 0xab, 0xff]))).toBe('00abff');
    expect(toHex(fromHex('00ABff'))).toBe('00abff');
  });
  it.each([['abc', ErrorCodes.HEX_LEN], ['0g', ErrorCodes.HEX_CHAR], [' 0', ErrorCodes.HEX_CHAR], ['0x', ErrorCodes.HEX_CHAR]])(
    'rejects %j',
    (text, code) => {
      expect(() => fromHex(text)).toThrow(expect.objectContaining({ code }));
      expect(isHex(text)).toBe(false);
    },
  );
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => toHex(fromHex(toHex(b))) === toHex(b)), { seed: 1 });
  });
});

describe('UTF-8 without TextEncoder', () => {
  it('matches the platform encoder on any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (s) => {
        expect(toHex(utf8Encode(s))).toBe(toHex(new TextEncoder().encode(s)));
        expect(utf8Decode(utf8Encode(s))).toBe(s);
      }),
      { seed: 2 },
    );
  });
  it('encodes a lone surrogate as U+FFFD like TextEncoder (B25)', () => {
    expect(toHex(utf8Encode('\ud800'))).toBe('efbfbd');
  });
  it.each([['c080', 'overlong'], ['eda080', 'surrogate'], ['e282', 'truncated'], ['f4908080', 'above U+10FFFF'], ['80', 'stray continuation']])(
    'refuses %s (%s)',
    (hex) => {
      expect(() => utf8Decode(fromHex(hex))).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_JSON }));
    },
  );
});
