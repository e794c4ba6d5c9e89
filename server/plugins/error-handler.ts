import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_TABLE, RelayError } from '../errors';

interface AjvIssue { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string }

/** FastAPI/pydantic v1 shape of a validation failure, which v1.0 clients already understand. */
function pydanticDetail(issues: AjvIssue[], context: string | undefined) {
  const where = context === 'querystring' ? 'query' : (context ?? 'body');
  return issues.map((issue) => {
    const path = (issue.instancePath ?? '').split('/').filter((part) => part !== '');
    if (issue.keyword === 'required') {
      return { loc: [where, ...path, String(issue.params?.missingProperty ?? '')], msg: 'field required', type: 'value_error.missing' };
    }
    if (issue.keyword === 'type') {
      const type = String(issue.params?.type ?? 'value');
      return { loc: [where, ...path], msg: `value is not a valid ${type}`, type: `type_error.${type}` };
    }
    return { loc: [where, ...path], msg: issue.message ?? 'invalid value', type: `value_error.${issue.keyword ?? 'invalid'}` };
  });
}

/** One place that turns every failure into a JSON body with a stable shape; no stack traces leak. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | RelayError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof RelayError) {
      if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
      if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer');
      return reply.code(error.status).send({ detail: error.detail, error: error.wire });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return reply.code(422).send({ detail: pydanticDetail(fastifyError.validation as AjvIssue[], fastifyError.validationContext) });
    }
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ detail: ERROR_TABLE.BODY_TOO_LARGE.message, error: 'BODY_TOO_LARGE' });
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ detail: ERROR_TABLE.UNSUPPORTED_MEDIA_TYPE.message, error: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    // better-sqlite3: locked past busy_timeout (F9) or disk full (F10) → retryable 503, never a crash.
    if (fastifyError.code === 'SQLITE_BUSY' || fastifyError.code === 'SQLITE_FULL' || fastifyError.code === 'SQLITE_LOCKED') {
      request.log.warn({ code: fastifyError.code }, 'database unavailable');
      return reply.code(503).header('Retry-After', '1').send({ detail: 'Database temporarily unavailable', error: 'DATABASE_UNAVAILABLE' });
    }
    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // JSON syntax errors, prototype poisoning (secure-json-parse), empty bodies: pydantic says 422.
      if (fastifyError.code?.startsWith('FST_ERR_CTP')) {
        return reply.code(status === 400 ? 422 : status).send({
          detail: [{ loc: ['body'], msg: 'invalid JSON body', type: 'value_error.jsondecode' }],
        });
      }
      return reply.code(status).send({ detail: fastifyError.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: ERROR_TABLE.INTERNAL.message, error: 'INTERNAL' });
  });

  // Unknown path → 404; known path with the wrong method → 405, as v1.0 (e.g. GET /api/pull).
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '';
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
    const other = methods.some((method) => method !== request.method && app.hasRoute({ method, url }));
    if (other) return reply.code(405).send({ detail: ERROR_TABLE.METHOD_NOT_ALLOWED.message });
    return reply.code(404).send({ detail: ERROR_TABLE.NOT_FOUND.message });
  });
}
