import type { FastifyInstance } from 'fastify';
import { LIMITS } from '../limits';

/**
 * Replaces Fastify's two log lines per request (disabled in app.ts) with one line for the
 * requests worth reading: errors (4xx/5xx) and slow answers. It goes through `request.log`, so
 * the redaction of logger.ts applies as before; the req/res serializers never include bodies.
 */
export function installRequestLogging(app: FastifyInstance, slowMs: number = LIMITS.slowRequestLogMs): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const responseTime = reply.elapsedTime;
    const slow = responseTime >= slowMs && request.routeOptions.config?.longPoll !== true;
    if (status < 400 && !slow) return;
    const fields = { req: request, res: reply, responseTime };
    if (status >= 500) request.log.error(fields, 'request failed');
    else if (status >= 400) request.log.info(fields, 'request refused');
    else request.log.warn(fields, 'slow request');
  });
}
