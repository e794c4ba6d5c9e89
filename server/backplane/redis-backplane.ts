/**
 * The routing core's Backplane across relay instances (issue 15). This instance's own sockets and
 * their subscriptions stay in a LocalBackplane (subscriptions live and die with their socket);
 * Redis adds what crosses instances: which instance holds each endpoint's connection (a hash per
 * endpoint, a set per account and per instance), delivery to a connection on another instance
 * (a request on that instance's channel), fan-out (the broadcast channel: every instance fans the
 * frame out to its own subscribers), newest-wins across instances (F12: the older instance is told
 * to close its socket 4001) and the clean-up after an instance that died.
 */
import { closeCodeFor } from '../errors';
import type { Backplane, ConnectionInfo, EndpointConnection, OnlineSnapshot, Publisher, SubscriptionSet } from '../routing/backplane';
import { LocalBackplane } from '../routing/local-backplane';
import type { EndpointKind } from '../store/types';
import type { RedisBus } from './redis-bus';

const endpointKey = (endpointId: string) => `wl:ep:${endpointId}`;
const userKey = (userId: number) => `wl:u:${userId}`;
const instanceKey = (instance: string) => `wl:ie:${instance}`;

/** Binds the endpoint to this connection; returns the previous holder "instance conn" or nil. */
const ATTACH_SCRIPT = `
local old = redis.call('HMGET', KEYS[1], 'instance', 'conn')
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
if old[1] and old[2] and not (old[1] == ARGV[2] and old[2] == ARGV[4]) then return {old[1], old[2]} end
return nil`;
/** Unbinds only when this connection is still the endpoint's. */
const DETACH_SCRIPT = `
if redis.call('HGET', KEYS[1], 'conn') == ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 1
end
return 0`;

interface RemoteEntry {
  instance: string;
  conn: string;
  user: string;
  kind: EndpointKind;
  name: string;
  dev: string;
  eph: string;
  aware: string;
  at: string;
}

export interface RedisBackplaneHooks {
  /** Presence of an endpoint whose instance died: the routing core tells its subscribers. */
  onRemoteGone?(who: Publisher & { deviceId: string | null }): void;
  /** A local connection's registration is in Redis: from now on every instance finds it. */
  onRegistered?(conn: EndpointConnection): void;
}

export class RedisBackplane implements Backplane {
  private readonly mine = new LocalBackplane();
  /** Local connections another instance took over (newest wins): their detach is no longer the endpoint's. */
  private readonly superseded = new WeakSet<EndpointConnection>();
  private hooks: RedisBackplaneHooks = {};

  constructor(private readonly bus: RedisBus) {
    bus.on('deliver', (m) => {
      const conn = this.mine.local(String(m.endpoint));
      if (!conn || (m.routingOnly === true && !conn.routingAware)) return false;
      return conn.peer.send(String(m.frame));
    });
    // `alsoTo`: a pairing host's clients (issue 14), who get its events wherever they are connected.
    bus.on('fan', (m) => this.mine.fanOut(m.publisher as Publisher, String(m.frame), Array.isArray(m.alsoTo) ? m.alsoTo.filter((id): id is string => typeof id === 'string') : []));
    bus.on('mail', (m) => this.mine.mailboxChanged(String(m.endpoint), Number(m.item)));
    bus.on('close', (m) => this.mine.closeEndpoint(String(m.endpoint), Number(m.code), String(m.reason)));
    bus.on('info', (m) => this.mine.connectionInfo(String(m.endpoint)));
    bus.on('replaced', (m) => {
      const conn = this.mine.local(String(m.endpoint));
      if (!conn || conn.peer.id !== m.conn) return;
      this.superseded.add(conn);
      conn.peer.close(closeCodeFor('REPLACED'), 'replaced');
    });
    bus.onReady(() => this.republish());
    bus.onReap((instance) => void this.reap(instance));
  }

  /** Registrations of local connections not yet written to Redis, by endpoint. */
  private readonly registering = new Map<string, Promise<void>>();

  setHooks(hooks: RedisBackplaneHooks): void {
    this.hooks = hooks;
  }

  attach(conn: EndpointConnection): EndpointConnection | undefined {
    const replaced = this.mine.attach(conn);
    const written = this.register(conn);
    this.registering.set(conn.endpointId, written);
    void written.finally(() => {
      if (this.registering.get(conn.endpointId) === written) this.registering.delete(conn.endpointId);
      if (this.mine.local(conn.endpointId) === conn) this.hooks.onRegistered?.(conn);
    });
    return replaced;
  }

  detach(conn: EndpointConnection): boolean {
    const wasCurrent = this.mine.detach(conn) && !this.superseded.has(conn);
    if (wasCurrent && this.bus.commandsReady()) {
      this.bus.redis.eval(DETACH_SCRIPT, 3, endpointKey(conn.endpointId), userKey(conn.userId), instanceKey(this.bus.instanceId), conn.endpointId, conn.peer.id)
        .catch(() => undefined);
    }
    return wasCurrent;
  }

  local(endpointId: string): EndpointConnection | undefined {
    return this.mine.local(endpointId);
  }

  localBoard(deviceId: string): EndpointConnection | undefined {
    return this.mine.localBoard(deviceId);
  }

  async online(userId: number): Promise<OnlineSnapshot> {
    const mine = await this.mine.online(userId);
    const registered = new Set(mine.registered);
    const ephemeral = [...mine.ephemeral];
    const entries = await this.entriesOf(userId);
    const alive = await this.bus.aliveAmong(entries.map((entry) => entry.instance));
    for (const entry of entries) {
      if (entry.instance === this.bus.instanceId || !alive.has(entry.instance)) continue;
      if (entry.eph === '1') ephemeral.push({ endpointId: entry.endpointId, kind: entry.kind, name: entry.name, connectedAt: Number(entry.at) });
      else registered.add(entry.endpointId);
    }
    return { registered, ephemeral };
  }

  closeEndpoint(endpointId: string, code: number, reason: string): void {
    if (this.mine.local(endpointId)) {
      this.mine.closeEndpoint(endpointId, code, reason);
      return;
    }
    void this.remote(endpointId).then((entry) => {
      if (entry) this.bus.send(entry.instance, { t: 'close', endpoint: endpointId, code, reason });
    });
  }

  localConnections(): Iterable<EndpointConnection> {
    return this.mine.localConnections();
  }

  subscribe(conn: EndpointConnection, change: SubscriptionSet): void {
    this.mine.subscribe(conn, change);
  }

  unsubscribe(conn: EndpointConnection, change: SubscriptionSet): void {
    this.mine.unsubscribe(conn, change);
  }

  subscriptionsOf(conn: EndpointConnection): SubscriptionSet {
    return this.mine.subscriptionsOf(conn);
  }

  subscriptionCount(conn: EndpointConnection): number {
    return this.mine.subscriptionCount(conn);
  }

  async connectionInfo(endpointId: string): Promise<ConnectionInfo | undefined> {
    const mine = await this.mine.connectionInfo(endpointId);
    if (mine) return mine;
    const entry = await this.remote(endpointId);
    if (!entry) return undefined;
    // routingAware changes on the holder's side: ask it, so a v1.0 client that just subscribed counts.
    const live = (await this.bus.request(entry.instance, { t: 'info', endpoint: endpointId })) as ConnectionInfo | null | undefined;
    return live ?? undefined;
  }

  async deliver(endpointId: string, frame: string, routingOnly: boolean): Promise<boolean> {
    if (this.mine.local(endpointId)) return this.mine.deliver(endpointId, frame, routingOnly);
    const entry = await this.remote(endpointId);
    if (!entry) return false;
    return (await this.bus.request(entry.instance, { t: 'deliver', endpoint: endpointId, frame, routingOnly })) === true;
  }

  fanOut(publisher: Publisher, frame: string, alsoTo: readonly string[] = []): number {
    const message = {
      t: 'fan', publisher: { userId: publisher.userId, endpointId: publisher.endpointId, kind: publisher.kind }, frame, ...(alsoTo.length > 0 ? { alsoTo } : {}),
    };
    // The publish goes out on another Redis connection than the endpoint's registration: until that
    // is written, another instance hearing "online" could not yet find it (listing, routing to it).
    // Frames of one publisher stay in order: they all wait for the same write.
    const registering = this.registering.get(publisher.endpointId);
    if (registering) void registering.then(() => this.bus.broadcast(message));
    else this.bus.broadcast(message);
    return this.mine.fanOut(publisher, frame, alsoTo);
  }

  async mailboxChanged(endpointId: string, itemId: number): Promise<boolean> {
    if (this.mine.local(endpointId)) return this.mine.mailboxChanged(endpointId, itemId);
    const entry = await this.remote(endpointId);
    if (!entry) return false;
    return (await this.bus.request(entry.instance, { t: 'mail', endpoint: endpointId, item: itemId })) === true;
  }

  onMailboxChanged(pump: (conn: EndpointConnection, itemId: number) => boolean): void {
    this.mine.onMailboxChanged(pump);
  }

  /** The instance holding the endpoint's connection, when it is another live one. */
  async remote(endpointId: string): Promise<(RemoteEntry & { endpointId: string }) | undefined> {
    if (!this.bus.commandsReady()) return undefined;
    let entry: Partial<RemoteEntry>;
    try {
      entry = (await this.bus.redis.hgetall(endpointKey(endpointId))) as Partial<RemoteEntry>;
    } catch {
      return undefined;
    }
    if (!entry.instance || entry.instance === this.bus.instanceId) return undefined;
    if (!this.bus.isAlive(entry.instance) && !(await this.bus.aliveAmong([entry.instance])).has(entry.instance)) return undefined;
    return { ...(entry as RemoteEntry), endpointId };
  }

  private async register(conn: EndpointConnection): Promise<void> {
    if (!this.bus.commandsReady()) return; // written again when Redis is back (republish)
    const fields = [
      'instance', this.bus.instanceId, 'conn', conn.peer.id, 'user', String(conn.userId), 'kind', conn.kind, 'name', conn.name,
      'dev', conn.deviceId ?? '', 'eph', conn.ephemeral ? '1' : '0', 'aware', conn.routingAware ? '1' : '0', 'at', String(conn.connectedAt),
    ];
    try {
      const previous = (await this.bus.redis.eval(
        ATTACH_SCRIPT, 3, endpointKey(conn.endpointId), userKey(conn.userId), instanceKey(this.bus.instanceId), conn.endpointId, this.bus.instanceId, ...fields,
      )) as [string, string] | null;
      if (previous && previous[0] !== this.bus.instanceId && (await this.bus.aliveAmong([previous[0]])).has(previous[0])) {
        this.bus.send(previous[0], { t: 'replaced', endpoint: conn.endpointId, conn: previous[1] });
      }
    } catch {
      // Redis went away meanwhile: republish writes it when it is back.
    }
  }

  /** Redis (re)connected, maybe empty after a restart: write every local connection again. */
  private republish(): void {
    for (const conn of this.mine.localConnections()) {
      if (this.mine.local(conn.endpointId) === conn && conn.peer.isOpen()) void this.register(conn);
    }
  }

  private async entriesOf(userId: number): Promise<(RemoteEntry & { endpointId: string })[]> {
    if (!this.bus.commandsReady()) return [];
    try {
      const ids = await this.bus.redis.smembers(userKey(userId));
      if (ids.length === 0) return [];
      const pipeline = this.bus.redis.pipeline();
      for (const id of ids) pipeline.hgetall(endpointKey(id));
      const results = (await pipeline.exec()) ?? [];
      return results.flatMap(([error, value], index) => {
        const entry = value as Partial<RemoteEntry>;
        return !error && entry.instance ? [{ ...(entry as RemoteEntry), endpointId: ids[index]! }] : [];
      });
    } catch {
      return [];
    }
  }

  /** Another instance died without detaching: its endpoints go offline, and their subscribers hear it. */
  private async reap(instance: string): Promise<void> {
    try {
      const ids = await this.bus.redis.smembers(instanceKey(instance));
      for (const endpointId of ids) {
        const entry = (await this.bus.redis.hgetall(endpointKey(endpointId))) as Partial<RemoteEntry>;
        if (entry.instance !== instance) continue;
        const removed = await this.bus.redis.eval(DETACH_SCRIPT, 3, endpointKey(endpointId), userKey(Number(entry.user)), instanceKey(instance), endpointId, entry.conn ?? '');
        if (removed === 1 && entry.kind) {
          this.hooks.onRemoteGone?.({ userId: Number(entry.user), endpointId, kind: entry.kind, deviceId: entry.dev ? entry.dev : null });
        }
      }
      await this.bus.redis.del(instanceKey(instance));
    } catch {
      // Redis went away during the clean-up: the reap lock lapses and another beat retries.
    }
  }
}
