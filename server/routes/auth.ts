import type { FastifyPluginAsync } from 'fastify';
import { USERNAME_PATTERN } from '../auth/auth-service';
import { REFRESH_TOKEN_PATTERN } from '../auth/login-sessions';
import { LIMITS } from '../limits';
import { BODY_ERRORS, errors, integer, object, text } from './schemas';

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: LIMITS.usernameMinLength, maxLength: LIMITS.usernameMaxLength, pattern: USERNAME_PATTERN },
    password: { type: 'string', minLength: 1, maxLength: LIMITS.passwordMaxLength },
  },
} as const;

/** JSON account API: register (first API token shown once) and JWT login. */
export const authRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { username: string; password: string } }>('/auth/register', {
    schema: {
      tags: ['auth'],
      summary: 'Create an account; returns its first API token (shown only here)',
      body: { ...credentials, properties: { ...credentials.properties, password: { type: 'string', minLength: LIMITS.passwordMinLength, maxLength: LIMITS.passwordMaxLength } } },
      response: {
        201: object('The account and its first API token', { id: integer, username: text, api_token: { type: 'string', description: '`sk-…`, shown only here' } }),
        ...errors(400, 409, 429, ...BODY_ERRORS, 503),
      },
    },
  }, async (request, reply) => {
    const { user, apiToken } = await app.auth.register(request.body.username, request.body.password, request.ip);
    request.log.info({ event: 'user_registered', userId: user.id }, 'user registered');
    return reply.code(201).send({ id: user.id, username: user.username, api_token: apiToken });
  });

  app.post<{ Body: { username: string; password: string } }>('/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange username and password for a short-lived access JWT (HS256) and a refresh token (a new login session)',
      body: credentials,
      response: {
        200: object('A login session: the access JWT works like an API token until it expires; the refresh token gets the next one', TOKEN_PAIR),
        ...errors(401, 429, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => app.auth.login(request.body.username, request.body.password, request.ip, clientName(request.headers['user-agent'])));

  app.post<{ Body: { refresh_token: string } }>('/auth/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Rotate a refresh token: a new access JWT and a new refresh token; the old one is used up (presenting it again revokes the session)',
      body: refreshBody,
      response: {
        200: object('The next access JWT and refresh token of the session', TOKEN_PAIR),
        ...errors(401, 429, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => app.auth.refresh(request.body.refresh_token, request.ip));

  app.post<{ Body: { refresh_token: string } }>('/auth/logout', {
    schema: {
      tags: ['auth'],
      summary: 'End the login session of this refresh token: its access tokens stop working and the sockets they opened are closed',
      body: refreshBody,
      response: {
        200: object('Logged out', { status: { type: 'string', enum: ['logged_out'] } }),
        ...errors(401, 429, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => {
    app.auth.logout(request.body.refresh_token, request.ip);
    return { status: 'logged_out' };
  });
};

const TOKEN_PAIR = {
  access_token: text,
  token_type: { type: 'string', enum: ['bearer'] },
  expires_in: { type: 'integer', description: 'seconds the access token is valid (JWT_TTL_SECONDS)' },
  refresh_token: { type: 'string', pattern: REFRESH_TOKEN_PATTERN, description: 'single use: POST it to /auth/refresh for the next pair; keep it secret' },
  refresh_expires_in: { type: 'integer', description: 'seconds the refresh token stays usable (REFRESH_TOKEN_TTL_SECONDS, at most to the session\'s end)' },
  session_id: { type: 'string', description: 'the login session (see GET /auth/sessions)' },
};

const refreshBody = {
  type: 'object',
  required: ['refresh_token'],
  properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** The session list's label: the client's User-Agent, printable ASCII only, bounded. */
function clientName(userAgent: string | undefined): string {
  return (userAgent ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 64);
}
