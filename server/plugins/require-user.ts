import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service';
import { RelayError } from '../errors';

/**
 * v1.0 REST auth: `Authorization: Bearer <token>` (the word `Bearer ` exactly, as v1.0) or
 * `X-API-Token`. The token may be an `sk-` API token or a JWT.
 */
export function extractApiToken(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
    const token = authorization.slice('Bearer '.length);
    if (token !== '') return token;
  }
  const apiToken = request.headers['x-api-token'];
  return typeof apiToken === 'string' && apiToken !== '' ? apiToken : undefined;
}

export function createRequireUser(auth: AuthService) {
  return async function requireUser(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = extractApiToken(request);
    if (token === undefined) throw new RelayError('AUTH_REQUIRED');
    const principal = await auth.identify(token, request.ip);
    if (principal === 'expired') throw new RelayError('TOKEN_EXPIRED');
    if (!principal) throw new RelayError('INVALID_TOKEN');
    request.principal = principal;
  };
}
