import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { TrustFn } from './client-address';

/** The last value of a header that proxies may append to (`https, http`), as Fastify reads them. */
function lastValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  const value = joined?.split(',').at(-1)?.trim();
  return value === '' ? undefined : value;
}

/** `scheme://host[:port]` with the default port dropped and the host lower-cased, or null. */
export function normalizeOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') return null;
    return url.origin;
  } catch {
    return null;
  }
}

/**
 * The origin this request was addressed to: the scheme of the connection (TLS or not) and the
 * `Host` header, or, when the peer is a trusted proxy (TRUST_PROXY, the same rule as for client
 * addresses and Fastify's request.protocol/host), its `X-Forwarded-Proto` and `X-Forwarded-Host`.
 */
export function requestOrigin(req: IncomingMessage, trust: TrustFn | false): string | null {
  const viaProxy = trust !== false && trust(req.socket.remoteAddress ?? '', 0);
  const proto = (viaProxy ? lastValue(req.headers['x-forwarded-proto']) : undefined)
    ?? ((req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http');
  const host = (viaProxy ? lastValue(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
  if (host === undefined || !/^[A-Za-z0-9.\-[\]:]+$/.test(host)) return null;
  return normalizeOrigin(`${proto.toLowerCase()}://${host}`);
}

/**
 * CSWSH defence for WebSocket upgrades (B21). No Origin (devices, most CLIs) passes. An Origin equal
 * to the relay's own origin passes: the v1.0 Python CLI's websocket-client library sends exactly
 * that by default, and a page the relay itself served may connect. Any other Origin must be listed
 * in ALLOWED_ORIGINS. (WebSocket auth is a token, never a cookie, so a page that reaches the relay
 * under a rebound host name gains nothing it could not do with plain HTTP.)
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: readonly string[], trust: TrustFn | false): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false;
  return normalized === requestOrigin(req, trust) || allowedOrigins.some((allowed) => normalizeOrigin(allowed) === normalized);
}
