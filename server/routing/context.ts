import type { FastifyBaseLogger } from 'fastify';
import { RelayError, routedErrorFrame, wsErrorFrame } from '../errors';
import type { Hub } from '../hub/types';
import type { RelayService } from '../relay/relay-service';
import type { HistoryEntry, Store } from '../store/types';
import type { Clock } from '../time';
import type { Backplane } from './backplane';
import { FrameError } from './codec-rules';
import type { EndpointDirectory } from './endpoints';
import type { Pairings } from './pairing';
import type { Session } from './session';

/** The routing core's bounds (config-limits.ts knobs). */
export interface RoutingLimits {
  eventContentBytes: number;
  messageContentBytes: number;
  subscriptionsPerSocket: number;
  messageTtlMs: number;
  messageQueueCap: number;
  messagesInFlight: number;
  eventsPerSecond: number;
  eventBurst: number;
  historyMaxEntries: number;
  historyMaxAgeMs: number;
}

/** What every handler gets: the store, the backplane, the v1.0 command engine and the history. */
export interface RoutingContext {
  store: Store;
  hub: Hub;
  relay: RelayService;
  backplane: Backplane;
  endpoints: EndpointDirectory;
  pairings: Pairings;
  clock: Clock;
  log: FastifyBaseLogger;
  limits: RoutingLimits;
}

/** One audit row; bookkeeping, so a failing database never fails the routing it records. */
export function record(ctx: RoutingContext, entry: Omit<HistoryEntry, 'at'>): void {
  try {
    // Callers pass a fresh literal: stamping it saves a copy per routed frame.
    const stamped = entry as HistoryEntry;
    stamped.at = ctx.clock.now();
    ctx.store.recordHistory(stamped, ctx.limits.historyMaxEntries);
  } catch (error) {
    ctx.log.warn({ err: error }, 'history entry not written');
  }
}

/** Where a session's actions come from, for the audit log. */
export function origin(session: Session): Record<string, unknown> {
  return { via: session.via, address: session.address, ...(session.clientId === null ? {} : { client_id: session.clientId }) };
}

/**
 * Answers a refused frame. Routing-protocol frames get `{"type":"error",…}` with what the frame
 * was about; v1.0 packets keep v1.0's `{"status":"error",…}`. Internal failures are logged, and
 * on a board socket never answered (v1.0 firmware drops its connection on any error frame).
 */
export function sendError(ctx: RoutingContext, session: Session, error: unknown, routed: boolean, context: Record<string, unknown> = {}): void {
  if (!(error instanceof RelayError)) {
    ctx.log.error({ err: error, endpoint: session.endpointId }, 'frame failed');
    if (session.side === 'board') return;
    session.peer.send(routed ? routedErrorFrame('INTERNAL', 'Internal error', context) : wsErrorFrame('INTERNAL', 'Internal error'));
    return;
  }
  if (error instanceof FrameError || routed) {
    session.peer.send(routedErrorFrame(error.code, error.detail, { ...context, ...(error instanceof FrameError ? error.context : {}) }));
    return;
  }
  session.peer.send(wsErrorFrame(error.wire, error.detail));
}
