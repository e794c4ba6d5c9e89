/**
 * Network-safety guards: the simulator and its tests talk only to loopback. Anything else is
 * refused before a socket is touched (guide: "tests and tools send traffic ONLY to 127.0.0.1 / ::1").
 */
import { isIP } from 'node:net';

/** True for 127.0.0.0/8 and ::1 (also the IPv4-mapped form ::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(bare) === 4) return bare.split('.')[0] === '127';
  if (isIP(bare) === 6) {
    const lower = bare.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && isLoopbackAddress(mapped[1]!);
  }
  return false;
}

/** Loopback address, or the name `localhost` (resolved by the host's own resolver). */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `127.0.0.1:40000` or `[::1]:40000`; throws a RangeError with a clear message. */
export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new RangeError(`${what} must look like 127.0.0.1:40000 or [::1]:40000, got "${text}"`);
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new RangeError(`${what}: port must be 1..65535, got ${port}`);
  return { host, port };
}
