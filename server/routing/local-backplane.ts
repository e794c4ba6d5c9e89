import type { Backplane, ConnectionInfo, EndpointConnection, OnlineSnapshot, Publisher, SubscriptionScope, SubscriptionSet } from './backplane';

interface ConnSubscriptions {
  scopes: Set<SubscriptionScope>;
  endpoints: Set<string>;
}

/**
 * The in-process backplane: plain maps over this process's sockets. Every map holds only live
 * connections (detach removes a connection and all its subscriptions), so each is bounded by the
 * socket caps of ws/upgrade.ts times SUBSCRIPTIONS_PER_SOCKET.
 */
export class LocalBackplane implements Backplane {
  private readonly byEndpoint = new Map<string, EndpointConnection>();
  private readonly byDevice = new Map<string, EndpointConnection>();
  private readonly byUser = new Map<number, Set<EndpointConnection>>();
  private readonly subs = new Map<EndpointConnection, ConnSubscriptions>();
  /** Endpoint id → connections subscribed to it by id. */
  private readonly subscribersOf = new Map<string, Set<EndpointConnection>>();
  /** Account → connections subscribed with a scope. */
  private readonly scoped = new Map<number, Record<SubscriptionScope, Set<EndpointConnection>>>();
  private pump: (conn: EndpointConnection, itemId: number) => boolean = () => false;

  attach(conn: EndpointConnection): EndpointConnection | undefined {
    const previous = this.byEndpoint.get(conn.endpointId);
    this.byEndpoint.set(conn.endpointId, conn);
    if (conn.deviceId !== null) this.byDevice.set(conn.deviceId, conn);
    let mine = this.byUser.get(conn.userId);
    if (!mine) this.byUser.set(conn.userId, (mine = new Set()));
    mine.add(conn);
    return previous === conn ? undefined : previous;
  }

  detach(conn: EndpointConnection): boolean {
    this.dropSubscriptions(conn);
    const mine = this.byUser.get(conn.userId);
    mine?.delete(conn);
    if (mine?.size === 0) this.byUser.delete(conn.userId);
    if (this.byEndpoint.get(conn.endpointId) !== conn) return false;
    this.byEndpoint.delete(conn.endpointId);
    if (conn.deviceId !== null && this.byDevice.get(conn.deviceId) === conn) this.byDevice.delete(conn.deviceId);
    return true;
  }

  local(endpointId: string): EndpointConnection | undefined {
    return this.byEndpoint.get(endpointId);
  }

  localBoard(deviceId: string): EndpointConnection | undefined {
    return this.byDevice.get(deviceId);
  }

  async online(userId: number): Promise<OnlineSnapshot> {
    const registered = new Set<string>();
    const ephemeral: OnlineSnapshot['ephemeral'][number][] = [];
    for (const conn of this.byUser.get(userId) ?? []) {
      if (!conn.peer.isOpen() || this.byEndpoint.get(conn.endpointId) !== conn) continue;
      if (conn.ephemeral) ephemeral.push({ endpointId: conn.endpointId, kind: conn.kind, name: conn.name, connectedAt: conn.connectedAt });
      else registered.add(conn.endpointId);
    }
    return { registered, ephemeral };
  }

  closeEndpoint(endpointId: string, code: number, reason: string): void {
    this.byEndpoint.get(endpointId)?.peer.close(code, reason);
  }

  localConnections(): Iterable<EndpointConnection> {
    return [...this.byUser.values()].flatMap((set) => [...set]);
  }

  subscribe(conn: EndpointConnection, change: SubscriptionSet): void {
    const mine = this.subsOf(conn, true)!;
    for (const scope of change.scopes) {
      mine.scopes.add(scope);
      this.scopeSet(conn.userId, scope).add(conn);
    }
    for (const endpointId of change.endpoints) {
      mine.endpoints.add(endpointId);
      let set = this.subscribersOf.get(endpointId);
      if (!set) this.subscribersOf.set(endpointId, (set = new Set()));
      set.add(conn);
    }
  }

  unsubscribe(conn: EndpointConnection, change: SubscriptionSet): void {
    const mine = this.subsOf(conn, false);
    if (!mine) return;
    for (const scope of change.scopes) {
      mine.scopes.delete(scope);
      this.scoped.get(conn.userId)?.[scope].delete(conn);
    }
    for (const endpointId of change.endpoints) {
      mine.endpoints.delete(endpointId);
      this.removeSubscriber(endpointId, conn);
    }
    if (mine.scopes.size === 0 && mine.endpoints.size === 0) this.subs.delete(conn);
  }

  subscriptionsOf(conn: EndpointConnection): SubscriptionSet {
    const mine = this.subs.get(conn);
    return { scopes: [...(mine?.scopes ?? [])], endpoints: [...(mine?.endpoints ?? [])] };
  }

  subscriptionCount(conn: EndpointConnection): number {
    return this.subs.get(conn)?.endpoints.size ?? 0;
  }

  async connectionInfo(endpointId: string): Promise<ConnectionInfo | undefined> {
    const conn = this.byEndpoint.get(endpointId);
    if (!conn?.peer.isOpen()) return undefined;
    return { userId: conn.userId, kind: conn.kind, name: conn.name, deviceId: conn.deviceId, ephemeral: conn.ephemeral, routingAware: conn.routingAware };
  }

  async mailboxChanged(endpointId: string, itemId: number): Promise<boolean> {
    const conn = this.byEndpoint.get(endpointId);
    return conn !== undefined && conn.peer.isOpen() && this.pump(conn, itemId);
  }

  onMailboxChanged(pump: (conn: EndpointConnection, itemId: number) => boolean): void {
    this.pump = pump;
  }

  async deliver(endpointId: string, frame: string, routingOnly: boolean): Promise<boolean> {
    const conn = this.byEndpoint.get(endpointId);
    if (!conn || (routingOnly && !conn.routingAware)) return false;
    return conn.peer.send(frame);
  }

  fanOut(publisher: Publisher, frame: string, alsoTo: readonly string[] = []): number {
    const recipients = new Set<EndpointConnection>(this.subscribersOf.get(publisher.endpointId));
    for (const endpointId of alsoTo) {
      const conn = this.byEndpoint.get(endpointId);
      if (conn) recipients.add(conn);
    }
    const scoped = this.scoped.get(publisher.userId);
    if (scoped) {
      for (const conn of scoped.all) recipients.add(conn);
      if (publisher.kind === 'board') for (const conn of scoped.boards) recipients.add(conn);
    }
    let sent = 0;
    for (const conn of recipients) {
      // Subscriptions are checked against the account when made; checked again here, cheaply.
      if (conn.endpointId === publisher.endpointId || conn.userId !== publisher.userId) continue;
      if (conn.peer.send(frame)) sent += 1;
    }
    return sent;
  }

  private subsOf(conn: EndpointConnection, create: boolean): ConnSubscriptions | undefined {
    let mine = this.subs.get(conn);
    if (!mine && create) this.subs.set(conn, (mine = { scopes: new Set(), endpoints: new Set() }));
    return mine;
  }

  private scopeSet(userId: number, scope: SubscriptionScope): Set<EndpointConnection> {
    let sets = this.scoped.get(userId);
    if (!sets) this.scoped.set(userId, (sets = { all: new Set(), boards: new Set() }));
    return sets[scope];
  }

  private removeSubscriber(endpointId: string, conn: EndpointConnection): void {
    const set = this.subscribersOf.get(endpointId);
    set?.delete(conn);
    if (set?.size === 0) this.subscribersOf.delete(endpointId);
  }

  private dropSubscriptions(conn: EndpointConnection): void {
    const mine = this.subs.get(conn);
    if (!mine) return;
    for (const endpointId of mine.endpoints) this.removeSubscriber(endpointId, conn);
    const sets = this.scoped.get(conn.userId);
    if (sets) {
      sets.all.delete(conn);
      sets.boards.delete(conn);
      if (sets.all.size === 0 && sets.boards.size === 0) this.scoped.delete(conn.userId);
    }
    this.subs.delete(conn);
  }
}
