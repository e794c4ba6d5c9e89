import type { FastifyPluginAsync } from 'fastify';
import { USERNAME_PATTERN } from '../auth/auth-service';
import { LIMITS } from '../limits';

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
      response: { 201: { type: 'object', properties: { id: { type: 'integer' }, username: { type: 'string' }, api_token: { type: 'string' } } } },
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
      response: { 200: { type: 'object', properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' } } } },
    },
  }, async (request) => app.auth.login(request.body.username, request.body.password, request.ip));
};
