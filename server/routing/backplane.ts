/**
 * Connection state of the routing core (issue 13) behind interfaces, in the style of aedes: the
 * router and its handlers use only these, so the scale-out issue can back them with Redis (an
 * endpoint connected to another instance, presence cluster-wide, fan-out over pub/sub) while
 * `LocalBackplane` is the embedded default. Questions that may cross instances are async; what
 * concerns this process's own sockets is sync.
 */
import type { PeerSocket } from '../hub/types';
import type { EndpointKind } from '../store/types';

/** One live socket bound to an endpoint (at most one per endpoint: the newest wins, F12). */
export interface EndpointConnection {
  readonly endpointId: string;
  readonly userId: number;
  readonly kind: EndpointKind;
  /** Boards only. */
  readonly deviceId: string | null;
  readonly name: string;
  /** A connection-scoped endpoint (a client socket that is no registered endpoint, e.g. a v1.0 CLI): it exists only while connected. */
  readonly ephemeral: boolean;
  readonly connectedAt: number;
  readonly peer: PeerSocket;
  /**
   * It has sent a frame of the routing protocol (subscribe, message, event, …). Only then may it
   * be sent messages and signaling, so a v1.0 client that never does sees nothing new. Registered
   * endpoints are aware from the start.
   */
  routingAware: boolean;
}

/** The publisher of an event or a presence change, as fan-out needs it. */
export interface Publisher {
  readonly userId: number;
  readonly endpointId: string;
  readonly kind: EndpointKind;
}

/** `all`: every endpoint of the account, present and future; `boards`: every board of it. */
export type SubscriptionScope = 'all' | 'boards';

export interface SubscriptionSet {
  scopes: SubscriptionScope[];
  endpoints: string[];
}

/** Who is connected where. */
export interface Presence {
  /** Binds the connection; returns the one it replaced (the caller closes it 4001). */
  attach(conn: EndpointConnection): EndpointConnection | undefined;
  /** False when `conn` was no longer the endpoint's current connection (it had been replaced). */
  detach(conn: EndpointConnection): boolean;
  /** The endpoint's connection on this instance. */
  local(endpointId: string): EndpointConnection | undefined;
  /** The board's connection on this instance (the v1.0 device socket). */
  localBoard(deviceId: string): EndpointConnection | undefined;
  /** Which of the account's endpoints are connected anywhere, with the connection-scoped ones. */
  online(userId: number): Promise<OnlineSnapshot>;
  /** Closes the endpoint's connection wherever it is (the endpoint was deleted). */
  closeEndpoint(endpointId: string, code: number, reason: string): void;
  /** Connections of this instance, for shutdown, revocation and counts. */
  localConnections(): Iterable<EndpointConnection>;
}

export interface OnlineSnapshot {
  /** Registered endpoint ids (boards included) with a live connection. */
  registered: ReadonlySet<string>;
  /** Connection-scoped endpoints, which exist only while connected. */
  ephemeral: readonly { endpointId: string; kind: EndpointKind; name: string; connectedAt: number }[];
}

/** Per-connection subscriptions (they live and die with their socket, which lives on one instance). */
export interface Subscriptions {
  subscribe(conn: EndpointConnection, change: SubscriptionSet): void;
  unsubscribe(conn: EndpointConnection, change: SubscriptionSet): void;
  subscriptionsOf(conn: EndpointConnection): SubscriptionSet;
  /** Ids this connection subscribed to by name (the bound SUBSCRIPTIONS_PER_SOCKET counts these). */
  subscriptionCount(conn: EndpointConnection): number;
}

/** What an endpoint id names right now, wherever its connection is (connection-scoped endpoints exist only while connected). */
export interface ConnectionInfo {
  userId: number;
  kind: EndpointKind;
  name: string;
  deviceId: string | null;
  ephemeral: boolean;
  routingAware: boolean;
}

export interface Delivery {
  /** The endpoint's live connection as seen from anywhere; undefined when it is not connected. */
  connectionInfo(endpointId: string): Promise<ConnectionInfo | undefined>;
  /**
   * Writes the frame to the endpoint's connection, wherever it is. False when it is not connected,
   * or (with `routingOnly`) connected but not routing-aware.
   */
  deliver(endpointId: string, frame: string, routingOnly: boolean): Promise<boolean>;
  /**
   * Sends the frame to every connection of the publisher's account subscribed to it (by id, or by
   * a scope that covers its kind), never to the publisher itself; returns how many local sockets
   * took it. A slow subscriber is bounded by its own socket (the peer's buffer cap) and never
   * holds up the others. `alsoTo`: endpoints of the account that get it too, subscribed or not
   * (a host's paired clients, issue 14); each connection gets it once.
   */
  fanOut(publisher: Publisher, frame: string, alsoTo?: readonly string[]): number;
  /**
   * The endpoint's mailbox has a new item: the instance holding its connection writes what the
   * connection's in-flight window allows. True when item `itemId` is now on the recipient's socket.
   */
  mailboxChanged(endpointId: string, itemId: number): Promise<boolean>;
  /** This instance's pump for that notice (the router's). */
  onMailboxChanged(pump: (conn: EndpointConnection, itemId: number) => boolean): void;
}

export interface Backplane extends Presence, Subscriptions, Delivery {}
