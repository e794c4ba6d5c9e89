import type { Principal } from '../auth/auth-service';
import type { PeerSocket } from '../hub/types';
import type { EndpointKind } from '../store/types';
import type { Clock } from '../time';
import { TokenBucket } from '../ws/rate-limiter';
import type { EndpointConnection } from './backplane';
import type { Side } from './codec';

export interface SessionInit {
  endpointId: string;
  kind: EndpointKind;
  deviceId: string | null;
  name: string;
  ephemeral: boolean;
  principal: Principal;
  peer: PeerSocket;
  side: Side;
  /** Where it connects from (the audit log's "from where"). */
  address: string;
  /** How it reached the relay, for the audit log: `ws` sockets, `sse` dashboard streams. */
  via: 'ws' | 'sse';
  /** The v1.0 client id of a connection-scoped client endpoint, for the audit log. */
  clientId: string | null;
  events: { perSecond: number; burst: number };
}

/**
 * One authenticated socket and what the routing core keeps for it. It is the backplane's
 * EndpointConnection for its endpoint, so nothing is looked up twice.
 */
export class Session implements EndpointConnection {
  readonly endpointId: string;
  readonly userId: number;
  readonly kind: EndpointKind;
  readonly deviceId: string | null;
  readonly name: string;
  readonly ephemeral: boolean;
  readonly connectedAt: number;
  readonly peer: PeerSocket;
  readonly principal: Principal;
  readonly side: Side;
  readonly address: string;
  readonly via: 'ws' | 'sse';
  readonly clientId: string | null;
  routingAware: boolean;
  /** Events this socket may still publish (EVENTS_PER_SECOND, EVENT_BURST); made on its first event. */
  private eventBucket: TokenBucket | null = null;
  /**
   * Mailbox items written to this socket and not acked yet, oldest first (at most MESSAGES_IN_FLIGHT);
   * made with the first one (most sockets, boards above all, never hold mail).
   */
  mailOnSocket: Map<number, { msgid: string; from: string; acknowledge: boolean }> | null = null;
  /** Highest mailbox id written to this socket: the next pump reads after it, so order holds. */
  lastMailId = 0;
  /** It was sent mail (a connection-scoped endpoint's mailbox is cleared when it leaves). */
  hadMail = false;

  private readonly eventRate: SessionInit['events'];

  constructor(init: SessionInit, private readonly clock: Clock) {
    this.eventRate = init.events;
    this.endpointId = init.endpointId;
    this.userId = init.principal.userId;
    this.kind = init.kind;
    this.deviceId = init.deviceId;
    this.name = init.name;
    this.ephemeral = init.ephemeral;
    this.connectedAt = clock.now();
    this.peer = init.peer;
    this.principal = init.principal;
    this.side = init.side;
    this.address = init.address;
    this.via = init.via;
    this.clientId = init.clientId;
    this.routingAware = !init.ephemeral;
  }

  takeEventToken(): boolean {
    this.eventBucket ??= new TokenBucket(this.eventRate.perSecond, this.eventRate.burst, this.clock);
    return this.eventBucket.take();
  }
}
