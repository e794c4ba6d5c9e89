import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_TABLE, RelayError, databaseErrorCode, errorBody, type ErrorBody, type RelayErrorCode } from '../errors';

interface AjvIssue { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string }
type PydanticItem = NonNullable<ErrorBody['errors']>[number];

/** FastAPI/pydantic v1 items for a validation failure (what v1.0 sent as `detail`). */
function pydanticItems(issues: AjvIssue[], context: string | undefined): PydanticItem[] {
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

/** `body.password: field required; query.wait: must be >= 0` */
const summary = (items: PydanticItem[]) => items.map((item) => `${item.loc.join('.')}: ${item.msg}`).join('; ');

/** Fastify's own 4xx errors without a code of ours: the generic code for their status. */
const GENERIC_BY_STATUS: Record<number, RelayErrorCode> = {
  404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE',
};

function send(reply: FastifyReply, code: RelayErrorCode, detail?: string, extra: Partial<ErrorBody> = {}) {
  const status = ERROR_TABLE[code].http;
  if (status === 401) reply.header('WWW-Authenticate', 'Bearer');
  return reply.code(status).send({ ...errorBody(code, detail), ...extra });
}

/**
 * One place that turns every failure of the JSON API into `{"error": CODE, "detail": text}` (see
 * errors.ts); no stack traces leak. The dashboard's HTML routes have their own handler.
 */
export function installErrorHandling(app: FastifyInstance): void {
  // Only JSON bodies on the API: text/plain is refused like a form body (415), not parsed into a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError | RelayError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof RelayError) {
      if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
      return send(reply, error.code, error.detail);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const errors = pydanticItems(fastifyError.validation as AjvIssue[], fastifyError.validationContext);
      return send(reply, 'VALIDATION', summary(errors), { errors });
    }
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, 'BODY_TOO_LARGE');
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(reply, 'UNSUPPORTED_MEDIA_TYPE');
    // better-sqlite3: locked past busy_timeout (F9), disk full (F10) or read-only → retryable 503, never a crash.
    const database = databaseErrorCode(error);
    if (database !== null) {
      request.log.warn({ code: fastifyError.code }, 'database unavailable');
      return send(reply.header('Retry-After', '1'), database);
    }
    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // JSON syntax errors, prototype poisoning (secure-json-parse), empty JSON bodies: 422 like pydantic.
      if (fastifyError.code?.startsWith('FST_ERR_CTP')) {
        return send(reply, 'BODY_NOT_JSON', undefined, { errors: [{ loc: ['body'], msg: 'invalid JSON body', type: 'value_error.jsondecode' }] });
      }
      const code = GENERIC_BY_STATUS[status] ?? 'BAD_REQUEST';
      return reply.code(status).send(errorBody(code, fastifyError.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 'INTERNAL');
  });

  // Unknown path → 404; known path with the wrong method → 405, as v1.0 (e.g. GET /api/pull).
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '';
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
    const other = methods.some((method) => method !== request.method && app.hasRoute({ method, url }));
    return send(reply, other ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND');
  });
}
