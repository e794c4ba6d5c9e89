/**
 * The one routing core (issue 13). Every path goes through it: board and client sockets (v1.0
 * packets included), the dashboard's live stream, v1.0 HTTP push. A frame is decoded by the codec,
 * then handled by the one handler of its type; connection state is the backplane's, persistence
 * the store's. There is no second router: RelayService is the command handler's engine (v1.0 queue,
 * in-flight FIFO, long polls), reached only from here.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../auth/auth-service';
import { closeCodeFor } from '../errors';
import type { HttpRequester, Hub } from '../hub/types';
import type { RelayPacket } from '../relay/packets';
import type { RelayService, SubmitResult } from '../relay/relay-service';
import type { Store } from '../store/types';
import type { Clock } from '../time';
import type { Backplane } from './backplane';
import { decodeFrame, type Inbound } from './codec';
import { sendError, type RoutingContext, type RoutingLimits } from './context';
import { EndpointDirectory } from './endpoints';
import { pongFrame } from './frames';
import { boardPacket, clientPacket, commandFrame, httpPush } from './handlers/commands';
import { handleEvent, handleSubscription, publishPresence } from './handlers/events';
import { expireMail, handleAck, handleMessage, pumpMailbox } from './handlers/messages';
import { handleSignal } from './handlers/signals';
import { handlePairConfirm, handlePairRequest } from './handlers/pairing';
import { Pairings, type PairingLimits } from './pairing';
import { Session, type SessionInit } from './session';

export interface RouterDeps {
  store: Store;
  hub: Hub;
  relay: RelayService;
  backplane: Backplane;
  clock: Clock;
  log: FastifyBaseLogger;
  limits: RoutingLimits & { endpointsPerAccount: number } & PairingLimits;
  /** Other relay instances use the same database (issue 15): their connection-scoped mail is not this start's to purge. */
  sharedDatabase?: boolean;
}

export class Router {
  readonly endpoints: EndpointDirectory;
  readonly pairings: Pairings;
  readonly backplane: Backplane;
  private readonly ctx: RoutingContext;
  /** Every session's event budget: one object shared by all of them. */
  private readonly eventRate: SessionInit['events'];

  constructor(deps: RouterDeps) {
    this.backplane = deps.backplane;
    this.endpoints = new EndpointDirectory(deps.store, deps.backplane, deps.relay, deps.clock, deps.limits.endpointsPerAccount);
    this.pairings = new Pairings(deps.store, this.endpoints, deps.backplane, deps.clock, deps.limits);
    this.ctx = { ...deps, endpoints: this.endpoints, pairings: this.pairings };
    this.eventRate = { perSecond: deps.limits.eventsPerSecond, burst: deps.limits.eventBurst };
    deps.backplane.onMailboxChanged((conn, itemId) => pumpMailbox(this.ctx, conn as Session, itemId));
    // A connection-scoped endpoint ends with its socket; after a crash its mail would only wait for
    // its TTL. With several instances on one database the others' live endpoints' mail is kept (it expires by its TTL).
    if (!deps.sharedDatabase) this.bestEffort(() => deps.store.purgeConnectionMail());
  }

  session(init: Omit<SessionInit, 'events'>): Session {
    return new Session({ ...init, events: this.eventRate }, this.ctx.clock);
  }

  /** Binds an authenticated socket to its endpoint: newest wins (4001 to the older), subscribers hear it, stored mail follows. */
  open(session: Session): void {
    const replaced = this.backplane.attach(session);
    replaced?.peer.close(closeCodeFor('REPLACED'), 'replaced');
    if (!replaced) publishPresence(this.ctx, session, true);
    this.touch(session);
    if (session.kind !== 'board' && !session.ephemeral) pumpMailbox(this.ctx, session, 0);
  }

  /** The socket closed. */
  close(session: Session): void {
    const wasCurrent = this.backplane.detach(session);
    if (session.side === 'client') this.ctx.hub.forgetClient(session.peer);
    if (wasCurrent) publishPresence(this.ctx, session, false);
    this.touch(session);
    // A connection-scoped endpoint ends with its socket, and so does its mailbox.
    if (session.ephemeral && session.hadMail) this.bestEffort(() => this.ctx.store.clearMailbox(session.endpointId));
  }

  /**
   * One text (or binary) frame from a socket. Never throws: refusals are answered on the socket.
   * `guard`: a board socket's guard for packets it could not check before reading (F8).
   */
  handle(session: Session, text: string, isBinary: boolean, guard?: { admitPacket(): boolean }): void {
    let frame: Inbound;
    try {
      frame = decodeFrame(text, isBinary, session.side, this.ctx.limits);
    } catch (error) {
      sendError(this.ctx, session, error, false);
      return;
    }
    switch (frame.type) {
      case 'packet':
        if (guard && !guard.admitPacket()) return;
        if (session.side === 'board') boardPacket(this.ctx, session, frame.packet);
        else clientPacket(this.ctx, session, frame.packet);
        return;
      case 'ignored':
        return;
      case 'ping':
        session.peer.send(pongFrame(frame.id, this.ctx.clock.now()));
        return;
      default:
        // From here on it speaks the routing protocol, so it may be sent messages and signaling.
        session.routingAware = true;
        this.dispatch(session, frame).catch((error: unknown) => sendError(this.ctx, session, error, true));
    }
  }

  /** v1.0 `POST /api/push`. */
  push(principal: Principal, packet: RelayPacket, requester: HttpRequester): Promise<SubmitResult> {
    return httpPush(this.ctx, principal, packet, requester);
  }

  /** Periodic cleanup: the v1.0 queue, expired mail, history retention. Returns rows removed. */
  sweep(): number {
    const now = this.ctx.clock.now();
    let removed = this.ctx.relay.sweepExpired();
    removed += expireMail(this.ctx);
    removed += this.ctx.store.pruneHistory(now - this.ctx.limits.historyMaxAgeMs, this.ctx.limits.historyMaxEntries);
    this.pairings.codes.sweep(now);
    return removed;
  }

  private async dispatch(session: Session, frame: Exclude<Inbound, { type: 'packet' | 'ignored' | 'ping' }>): Promise<void> {
    switch (frame.type) {
      case 'subscribe':
      case 'unsubscribe':
        return handleSubscription(this.ctx, session, frame);
      case 'event':
        return handleEvent(this.ctx, session, frame);
      case 'message':
        return handleMessage(this.ctx, session, frame.message);
      case 'ack':
        return handleAck(this.ctx, session, frame);
      case 'command':
        return commandFrame(this.ctx, session, frame);
      case 'signal':
        return handleSignal(this.ctx, session, frame);
      case 'pair_request':
        return handlePairRequest(this.ctx, session, frame);
      case 'pair_confirm':
        return handlePairConfirm(this.ctx, session, frame);
    }
  }

  private touch(session: Session): void {
    if (session.ephemeral || session.kind === 'board') return; // boards: device activity (last_seen) does it
    this.bestEffort(() => this.ctx.store.touchEndpoint(session.endpointId, this.ctx.clock.now()));
  }

  private bestEffort(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.ctx.log.warn({ err: error }, 'routing bookkeeping not written');
    }
  }
}
