import { ErrorCodes, ProtocolError } from './errors';

export const MAGIC_PACKET_BYTES = 102;
export const SECURE_ON_BYTES = 6;

function hexPairs(text: string, code: typeof ErrorCodes.INVALID_MAC | typeof ErrorCodes.INVALID_SECUREON): Uint8Array {
  if (!/^[0-9A-Fa-f]{12}$/.test(text)) throw new ProtocolError(code, 'expected 12 hex digits');
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Strict MAC parsing: `AA:BB:CC:DD:EE:FF`, `AA-BB-CC-DD-EE-FF`, `AABB.CCDD.EEFF` or
 * `AABBCCDDEEFF`, hex digits of either case. Mixed separators are refused.
 */
export function parseMac(text: string): Uint8Array {
  if (typeof text !== 'string') throw new ProtocolError(ErrorCodes.INVALID_MAC, 'MAC must be a string');
  const mac = text.trim();
  const colon = /^([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})$/;
  const dash = /^([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})$/;
  const dot = /^([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})$/;
  const match = colon.exec(mac) ?? dash.exec(mac) ?? dot.exec(mac);
  if (match) return hexPairs(match.slice(1).join(''), ErrorCodes.INVALID_MAC);
  if (/^[0-9A-Fa-f]{12}$/.test(mac)) return hexPairs(mac, ErrorCodes.INVALID_MAC);
  throw new ProtocolError(ErrorCodes.INVALID_MAC, `malformed MAC address "${mac.slice(0, 32)}"`);
}

export function formatMac(mac: Uint8Array): string {
  let out = '';
  for (let i = 0; i < mac.length; i++) out += (i ? ':' : '') + (mac[i]! < 16 ? '0' : '') + mac[i]!.toString(16).toUpperCase();
  return out;
}

/** A SecureOn password is six bytes, written like a MAC address. */
export function parseSecureOn(text: string): Uint8Array {
  try {
    return parseMac(text);
  } catch {
    throw new ProtocolError(ErrorCodes.INVALID_SECUREON, 'SecureOn password must be 6 bytes written like a MAC address');
  }
}

/** 6 x 0xFF, the MAC 16 times, then the optional 6-byte SecureOn password (102 or 108 bytes). */
export function buildMagicPacket(mac: Uint8Array | string, secureOn?: Uint8Array | string): Uint8Array {
  const macBytes = typeof mac === 'string' ? parseMac(mac) : mac;
  if (macBytes.length !== 6) throw new ProtocolError(ErrorCodes.INVALID_MAC, 'MAC must be 6 bytes');
  const password = typeof secureOn === 'string' ? parseSecureOn(secureOn) : secureOn;
  if (password !== undefined && password.length !== SECURE_ON_BYTES) {
    throw new ProtocolError(ErrorCodes.INVALID_SECUREON, 'SecureOn password must be 6 bytes');
  }
  const packet = new Uint8Array(MAGIC_PACKET_BYTES + (password ? SECURE_ON_BYTES : 0));
  packet.fill(0xff, 0, 6);
  for (let i = 0; i < 16; i++) packet.set(macBytes, 6 + i * 6);
  if (password) packet.set(password, MAGIC_PACKET_BYTES);
  return packet;
}
