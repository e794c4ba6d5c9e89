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

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}
