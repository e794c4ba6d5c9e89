import { ErrorCodes, ProtocolError } from './errors';

const HEX_DIGITS = '0123456789abcdef';

/**
 * "00".."ff" and the 128 ASCII characters, built once. On a board these tables are preloaded
 * into flash; the text functions below fill an array from them and join it once, instead of
 * growing a string a character at a time (a new string per step: on XS that was tens of
 * kilobytes of garbage, and several collections, per packet).
 */
const HEX_PAIRS: readonly string[] = Object.freeze(Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!));
const ASCII: readonly string[] = Object.freeze(Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)));

/** Lowercase hex, as v1.0 emits it (the MAC covers the hex text, so case matters). */
export function toHex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX_PAIRS[bytes[i]!]!;
  return parts.join('');
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f / A-F
  return -1;
}

/** Strict hex decode: either case, even length, hex digits only. */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new ProtocolError(ErrorCodes.HEX_LEN, 'hex string has odd length');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new ProtocolError(ErrorCodes.HEX_CHAR, `non-hex character near offset ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function isHex(text: string): boolean {
  if (text.length % 2 !== 0) return false;
  for (let i = 0; i < text.length; i++) if (nibble(text.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * UTF-8 encode without TextEncoder (some XS builds lack it). Lone surrogates become U+FFFD.
 * Writes straight into bytes (3 per UTF-16 unit at most), no array of numbers in between.
 */
export function utf8Encode(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      out[n++] = cp;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x800) {
      out[n++] = 0xc0 | (cp >> 6);
    } else if (cp < 0x10000) {
      out[n++] = 0xe0 | (cp >> 12);
      out[n++] = 0x80 | ((cp >> 6) & 63);
    } else {
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 63);
      out[n++] = 0x80 | ((cp >> 6) & 63);
    }
    out[n++] = 0x80 | (cp & 63);
  }
  return n === out.length ? out : out.slice(0, n);
}

/**
 * Strict UTF-8 decode: overlong forms, surrogates, truncated sequences and code points above
 * U+10FFFF are refused, so a corrupted plaintext never turns into plausible JSON.
 */
export function utf8Decode(bytes: Uint8Array): string {
  const parts: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      parts.push(ASCII[b0]!);
      i++;
      continue;
    }
    let cp: number;
    let extra: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 31; extra = 1; min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 15; extra = 2; min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 7; extra = 3; min = 0x10000;
    } else {
      throw new ProtocolError(ErrorCodes.INVALID_JSON, `invalid UTF-8 lead byte at ${i}`);
    }
    for (let k = 1; k <= extra; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) {
        throw new ProtocolError(ErrorCodes.INVALID_JSON, `invalid UTF-8 continuation at ${i + k}`);
      }
      cp = (cp << 6) | (b & 63);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new ProtocolError(ErrorCodes.INVALID_JSON, `invalid UTF-8 code point at ${i}`);
    }
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      parts.push(String.fromCharCode(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff)));
    } else {
      parts.push(String.fromCharCode(cp));
    }
    i += extra + 1;
  }
  return parts.join('');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
