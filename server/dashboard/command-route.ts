import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RelayError, errorBody, type RelayErrorCode } from '../errors';
import { decodeFrame } from '../routing/codec';
import { CsrfTokens } from './csrf';
import { DASHBOARD_LIMITS } from './limits';
import type { LiveStreams } from './live';
import type { Principal } from '../auth/auth-service';

export const COMMAND_PATH = '/dashboard/command';
/** The header that carries the session's CSRF token (a form on another site can set no header). */
export const CSRF_HEADER = 'x-csrf-token';

export interface CommandRouteDeps {
  signedIn(request: FastifyRequest): { sessionId: string; principal: Principal; csrf: string } | null;
  live: LiveStreams;
}

/**
 * The dashboard's way to reach a board (issue 16). The page seals a v1.0 command in the browser
 * with the device token the user typed (the relay never sees it) and posts it here as
 * `{"stream": <its live stream's endpoint id>, "frame": {"type":"command","id","to","packet"}}`.
 * The frame then goes through the routing core exactly as if that stream were a client socket: the
 * board must be the account's and connected (else `target_offline`), the command is in the history,
 * and the relay's ack, the board's sealed `response` and any error come back on the stream, matched
 * by `id`. Authenticated by the dashboard session (HttpOnly cookie) and its CSRF token in a header,
 * JSON only (another site cannot send either without a CORS preflight, which is never granted), at
 * most DASHBOARD_LIMITS.commandBodyBytes; the stream must be one this session opened.
 */
export function registerCommandRoute(app: FastifyInstance, deps: CommandRouteDeps): void {
  const fail = (reply: FastifyReply, code: RelayErrorCode, detail: string) => reply.code(new RelayError(code).status).send(errorBody(code, detail));

  app.post(COMMAND_PATH, {
    bodyLimit: DASHBOARD_LIMITS.commandBodyBytes,
    // Body parsing refusals (Fastify's, before the handler) answered as JSON like the rest of this route.
    errorHandler: (error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413) return fail(reply, 'BODY_TOO_LARGE', `at most ${DASHBOARD_LIMITS.commandBodyBytes} bytes`);
      if (status === 415) return fail(reply, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
      if (status === 400) return fail(reply, 'BODY_NOT_JSON', 'the body must be a JSON object');
      app.log.error({ err: error }, 'dashboard command failed');
      return fail(reply, 'INTERNAL', 'Something went wrong on the relay');
    },
  }, async (request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8');
    const who = deps.signedIn(request);
    if (!who) return fail(reply, 'AUTH_REQUIRED', 'Log in to the dashboard first');
    const presented = request.headers[CSRF_HEADER];
    if (!CsrfTokens.matches(who.csrf, typeof presented === 'string' ? presented : undefined)) {
      request.log.warn({ event: 'csrf_refused', userId: who.principal.userId, url: request.url }, 'dashboard command CSRF check failed');
      return fail(reply, 'ORIGIN_REFUSED', `the ${CSRF_HEADER} header is missing or not this session's: reload the page`);
    }
    if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) return fail(reply, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    const body = request.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(reply, 'BODY_NOT_JSON', 'the body must be a JSON object');
    const extra = Object.keys(body).filter((key) => key !== 'stream' && key !== 'frame');
    if (extra.length > 0) return fail(reply, 'VALIDATION', `unknown field ${extra.map((k) => `\`${k.slice(0, 40)}\``).join(', ')}`);
    if (typeof body.stream !== 'string') return fail(reply, 'VALIDATION', '`stream` must be the endpoint id of this page\'s live stream');
    const frame = body.frame as Record<string, unknown> | null;
    if (!frame || typeof frame !== 'object' || frame.type !== 'command') return fail(reply, 'VALIDATION', '`frame` must be a routing-protocol `command` frame');
    const session = deps.live.streamOf(who.sessionId, body.stream);
    if (!session) return fail(reply, 'ENDPOINT_NOT_FOUND', 'No open live stream of this session has that id; the page reconnects and tries again');
    const text = JSON.stringify(frame);
    try {
      // Refused here with the routing core's own words, so the page hears of a bad frame at once.
      decodeFrame(text, false, 'client', app.relayConfig.limits);
    } catch (error) {
      if (error instanceof RelayError) return fail(reply, error.code, error.detail);
      throw error;
    }
    app.router.handle(session, text, false);
    return reply.code(202).send({ accepted: true, stream: session.endpointId });
  });
}
