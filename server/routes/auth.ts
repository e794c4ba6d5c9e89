import type { FastifyPluginAsync } from 'fastify';
import { USERNAME_PATTERN } from '../auth/auth-service';
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
      summary: 'Exchange username and password for a JWT (HS256)',
      body: credentials,
      response: {
        200: object('A login JWT (use it like an API token until it expires)', { access_token: text, token_type: { type: 'string', enum: ['bearer'] }, expires_in: { type: 'integer', description: 'seconds' } }),
        ...errors(401, 429, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => app.auth.login(request.body.username, request.body.password, request.ip));
};
