import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** TRUST_PROXY as configured: off, a hop count, or the proxies' addresses (IP or IP/prefix). */
export type TrustProxySetting = false | number | string[];

/** Fastify's `trustProxy` function form: is the address `hop` steps from us a trusted proxy? */
export type TrustFn = (address: string, hop: number) => boolean;

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) compares as 127.0.0.1. */
function plain(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** Parses one TRUST_PROXY list entry; null when it is not an address or subnet. */
export function parseProxyEntry(entry: string): { address: string; prefix: number | null; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = entry.split('/');
  if (extra !== undefined) return null;
  const version = isIP(plain(address));
  if (version === 0) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address: plain(address), prefix: null, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > (version === 4 ? 32 : 128)) return null;
  return { address: plain(address), prefix: Number(prefixText), family };
}

/**
 * The one trust rule for HTTP (passed to Fastify as `trustProxy`) and WebSocket upgrades, so
 * both see the same client address. A hop count trusts that many nearest hops (only safe when
 * nothing but the proxy can reach the relay, e.g. HOST=127.0.0.1); a list trusts those peers.
 */
export function compileTrust(setting: TrustProxySetting): TrustFn | false {
  if (setting === false) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  const list = new BlockList();
  for (const raw of setting) {
    const entry = parseProxyEntry(raw);
    if (!entry) throw new Error(`not an address or subnet: ${raw}`);
    if (entry.prefix === null) list.addAddress(entry.address, entry.family);
    else list.addSubnet(entry.address, entry.prefix, entry.family);
  }
  return (address) => {
    const candidate = plain(address);
    const version = isIP(candidate);
    return version !== 0 && list.check(candidate, version === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client's address: walking from the socket peer back through X-Forwarded-For, the first
 * address that is not a trusted proxy (the farthest one if all are), as Fastify's `request.ip`.
 */
export function clientAddress(req: IncomingMessage, trust: TrustFn | false): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trust === false) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '')
    .split(',').map((s) => s.trim()).filter((s) => s !== '').reverse();
  const chain = [peer, ...forwarded];
  for (let hop = 0; hop < chain.length - 1; hop++) {
    if (!trust(chain[hop]!, hop)) return chain[hop]!;
  }
  return chain[chain.length - 1]!;
}
