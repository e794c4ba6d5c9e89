import type { FastifyServerOptions } from 'fastify';

/**
 * pino paths that must never reach a log line: credentials, device tokens, packet contents
 * (catalogue section 3: "never log message bodies, tokens or keys").
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-token"]',
  'req.headers.cookie',
  'req.headers["sec-websocket-key"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.api_token',
  '*.access_token',
  '*.password',
  '*.device_token',
  '*.payload',
  '*.signature',
  '*.secret',
  'body',
];

/**
 * Query parameters whose value is a credential (compared lower-case). The relay reads tokens only
 * from headers, but clients put them in URLs anyway (catalogue section 3: "if a token is passed in
 * the query string, redact it from logs").
 */
export const SECRET_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'token', 'api_token', 'apitoken', 'api-token', 'access_token', 'refresh_token', 'id_token', 'device_token',
  'key', 'api_key', 'apikey', 'secret', 'client_secret', 'password', 'pass', 'passwd', 'jwt', 'auth',
  'authorization', 'session', 'sig', 'signature', 'payload', 'code',
]);

const CENSOR = '[redacted]';

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** The URL with the value of every secret query parameter replaced; path and other parameters kept. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const hash = url.indexOf('#', query);
  const end = hash < 0 ? url.length : hash;
  const params = url.slice(query + 1, end).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return SECRET_QUERY_PARAMS.has(paramName(name)) ? `${name}=${CENSOR}` : pair;
  });
  return `${url.slice(0, query + 1)}${params.join('&')}${url.slice(end)}`;
}

interface LoggedRequest {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request fields, with the URL redacted: every line about a request goes through this. */
function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.hostname,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACT_PATHS, censor: CENSOR }, serializers: { req: serializeRequest } };
}

/** A connection URL (Redis, PostgreSQL) without its password, for messages and logs. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
