/** Relay URL rules of spec 4.2, producing a normalised URL that always names the port. */
import { CLOUD_URL_MAX_CHARS } from '../constants';

export interface RelayEndpoint {
  secure: boolean;
  host: string;
  port: number;
  path: string;
  /** `ws[s]://host:port/path`, the form handed to the WebSocket factory. */
  url: string;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/;

/** Returns the endpoint, or a reason string when the configured URL cannot be used. */
export function buildRelayEndpoint(configured: string, deviceId: string): RelayEndpoint | string {
  let rest = configured.trim();
  if (rest.length === 0) return 'no relay URL configured';
  if (rest.length > CLOUD_URL_MAX_CHARS) return `relay URL longer than ${CLOUD_URL_MAX_CHARS} characters`;
  let secure = true;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name === 'https' || name === 'wss') secure = true;
    else if (name === 'http' || name === 'ws') secure = false;
    else return `unsupported URL scheme "${name}"`;
    rest = rest.slice(scheme[0].length);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  let path = slash >= 0 ? rest.slice(slash) : '';
  const portMatch = /^(.*):(\d{1,5})$/.exec(authority);
  const host = portMatch ? portMatch[1]! : authority;
  const port = portMatch ? Number(portMatch[2]) : secure ? 443 : 80;
  if (!HOST.test(host)) return 'relay URL has an invalid host';
  if (port < 1 || port > 65535) return 'relay URL has an invalid port';
  if (/[\s?#]/.test(path)) return 'relay URL path may not contain spaces, a query or a fragment';
  if (path === '' || path === '/') path = '/ws/' + deviceId;
  else if (!path.includes(deviceId)) path += (path.endsWith('/') ? '' : '/') + deviceId;
  const url = `${secure ? 'wss' : 'ws'}://${host}:${port}${path}`;
  return { secure, host, port, path, url };
}
