import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/auth-service';
import type { PeerSocket } from '../hub/types';
import { newConnectionEndpointId } from '../ids';
import type { Session } from '../routing/session';
import { PAGE_SECURITY_HEADERS } from './layout';
import { LIVE_SCRIPT_PATH, LIVE_STREAM_PATH } from './live-script';
import { dashboardScript } from './script-bundle';
import type { SessionStore } from './sessions';

/** A comment line this often keeps proxies from timing the stream out, and notices a session that ended. */
const KEEPALIVE_MS = 25_000;
/** EventSource waits this long before reconnecting after the stream drops. */
const RETRY_MS = 5_000;

let streamCount = 0;

/**
 * A server-sent-events response as the routing core's PeerSocket: frames become `data:` lines.
 * Bounded like a WebSocket peer (F7): a browser that stops reading past the buffer cap is cut.
 */
class SsePeer implements PeerSocket {
  readonly id = `sse-${++streamCount}`;
  readonly tokenId = null;

  constructor(private readonly res: ServerResponse, readonly userId: number, private readonly maxBufferedBytes: number) {}

  isOpen(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  send(text: string): boolean {
    if (!this.isOpen()) return false;
    if (this.res.writableLength + text.length > this.maxBufferedBytes) {
      this.res.destroy();
      return false;
    }
    // JSON.stringify output holds no line break, so one frame is one `data:` line.
    this.res.write(`data: ${text}\n\n`);
    return true;
  }

  close(): void {
    if (this.isOpen()) this.res.end();
  }

  comment(text: string): void {
    if (this.isOpen()) this.res.write(`: ${text}\n\n`);
  }
}

export interface LiveDeps {
  /** The signed-in dashboard user of the request, or null. */
  signedIn(request: FastifyRequest): { sessionId: string; principal: Principal } | null;
  sessions: SessionStore;
}

export interface LiveStreams {
  endSession(sessionId: string): void;
  /** The routing session of an open stream of this dashboard session, by its endpoint id. */
  streamOf(sessionId: string, endpointId: string): Session | undefined;
}

/**
 * Live dashboard (issues 13, 16): `/dashboard/live` is a connection-scoped `browser` endpoint of
 * the routing core, subscribed to the account's boards, streamed as server-sent events to the
 * page's own script (`/dashboard.js`): presence, the boards' sealed events (wake_result), and the
 * replies to the commands the page sends from this stream (command-route.ts). At most
 * DASHBOARD_STREAMS_PER_ACCOUNT at once; a stream ends with its dashboard session (logout ends it at once).
 */
export async function registerLiveRoutes(app: FastifyInstance, deps: LiveDeps): Promise<LiveStreams> {
  /** Open streams by dashboard session, then by their connection-scoped endpoint id. */
  const bySession = new Map<string, Map<string, { peer: SsePeer; session: Session }>>();
  const perUser = new Map<number, number>();
  const limit = app.relayConfig.limits.dashboardStreamsPerAccount;

  // Built (or checked fresh) before the relay listens: a relay never serves a page without its script.
  const script = await dashboardScript();
  app.get(LIVE_SCRIPT_PATH, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(script));

  app.get(LIVE_STREAM_PATH, async (request, reply) => {
    const who = deps.signedIn(request);
    if (!who) return reply.code(401).type('text/plain; charset=utf-8').send('Log in to the dashboard first.');
    const { userId } = who.principal;
    if ((perUser.get(userId) ?? 0) >= limit) {
      return reply.code(429).type('text/plain; charset=utf-8').send(`At most ${limit} live dashboards at once (DASHBOARD_STREAMS_PER_ACCOUNT); reload to see the current status.`);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...PAGE_SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(`retry: ${RETRY_MS}\n\n`);
    const peer = new SsePeer(res, userId, app.relayConfig.limits.wsSendBufferBytes);
    const session = app.router.session({
      endpointId: newConnectionEndpointId(), kind: 'browser', deviceId: null, name: 'dashboard', ephemeral: true, principal: who.principal, peer,
      side: 'client', address: request.ip, via: 'sse', clientId: null,
    });
    perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
    let mine = bySession.get(who.sessionId);
    if (!mine) bySession.set(who.sessionId, (mine = new Map()));
    mine.set(session.endpointId, { peer, session });
    app.router.open(session);
    // The same subscribe frame a client would send: the answer is the current presence of every board.
    app.router.handle(session, '{"type":"subscribe","endpoints":"boards"}', false);
    const keepalive = setInterval(() => {
      if (deps.sessions.isLive(who.sessionId)) peer.comment('keep-alive');
      else peer.close();
    }, KEEPALIVE_MS);
    keepalive.unref();
    res.on('close', () => {
      clearInterval(keepalive);
      app.router.close(session);
      const left = (perUser.get(userId) ?? 1) - 1;
      if (left > 0) perUser.set(userId, left);
      else perUser.delete(userId);
      mine.delete(session.endpointId);
      if (mine.size === 0 && bySession.get(who.sessionId) === mine) bySession.delete(who.sessionId);
    });
  });

  // Open streams would hold app.close() (they are never idle): end them first.
  app.addHook('preClose', async () => {
    for (const streams of bySession.values()) for (const { peer } of streams.values()) peer.close();
  });

  return {
    endSession(sessionId) {
      for (const { peer } of bySession.get(sessionId)?.values() ?? []) peer.close();
    },
    streamOf(sessionId, endpointId) {
      const stream = bySession.get(sessionId)?.get(endpointId);
      return stream && stream.peer.isOpen() ? stream.session : undefined;
    },
  };
}

/** The dashboard page's CSP: the strict one, plus this origin's script and its event stream. */
export const LIVE_PAGE_CSP = `${PAGE_SECURITY_HEADERS['content-security-policy']}; script-src 'self'; connect-src 'self'`;
