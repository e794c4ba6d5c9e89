/**
 * The relay instances' one channel to each other: Redis pub/sub (issue 15). Each instance
 * subscribes to its own channel (`wl:i:{id}`) and to the broadcast channel (`wl:all`); a request
 * to another instance carries a request id and is answered on the asker's channel, bounded by a
 * timeout. Liveness is a key per instance with a short TTL refreshed every second, so a `kill -9`d
 * instance is known dead within REDIS_INSTANCE_TTL_MS. No protocol of our own between instances:
 * only Redis.
 */
import { withoutPassword } from '../logger';
import { Redis, type RedisOptions } from 'ioredis';

export interface BusMessage {
  t: string;
  [key: string]: unknown;
}

export type BusHandler = (message: BusMessage, from: string) => unknown;

export interface BusOptions {
  url: string;
  instanceId: string;
  /** How long another instance may take to answer a request. */
  requestTimeoutMs: number;
  /** An instance whose heartbeat is older than this is dead. */
  instanceTtlMs: number;
  /** At start: how long to wait for Redis before giving up with a clear error. */
  connectTimeoutMs: number;
}

/** Thrown at start when REDIS_URL cannot be used: main.ts prints it and exits non-zero. */
export class RedisStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisStartError';
  }
}

const BROADCAST = 'wl:all';
const channelOf = (instance: string) => `wl:i:${instance}`;
const aliveKey = (instance: string) => `wl:inst:${instance}`;
const INSTANCES = 'wl:insts';
/** Requests waiting for an answer, at most (a flood cannot grow the map without bound). */
const MAX_PENDING_REQUESTS = 100_000;
/** Revocations and deletions kept while Redis is away, at most (beyond it they reach the others only by their sockets' own checks). */
const MAX_UNDELIVERED_BROADCASTS = 10_000;
/** After Redis is back: the other instances' subscriber connections reconnect within about a second. */
const RESEND_DELAY_MS = 1500;


export class RedisBus {
  readonly instanceId: string;
  /** Commands (and publishes). */
  readonly redis: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, BusHandler>();
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; timer: NodeJS.Timeout }>();
  private nextRequest = 1;
  private heartbeat: NodeJS.Timeout | null = null;
  private liveInstances = new Set<string>();
  /** Beats in a row on which a live instance's heartbeat was missing. */
  private readonly misses = new Map<string, number>();
  private lastError: string | null = null;
  private readyListeners: (() => void)[] = [];
  private deadListeners: ((instance: string) => void)[] = [];
  private reapListeners: ((instance: string) => void)[] = [];
  private closed = false;
  /** broadcastEventually() messages Redis did not take, oldest first. */
  private readonly undelivered: BusMessage[] = [];
  private resendTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: BusOptions) {
    this.instanceId = options.instanceId;
    const common: RedisOptions = {
      lazyConnect: true,
      // Fail fast while Redis is away: callers fall back (queue in the database, local only) instead of waiting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs,
      retryStrategy: (times) => Math.min(50 * times, 1000),
    };
    this.redis = new Redis(options.url, { ...common, connectionName: `wakelink-${options.instanceId}` });
    this.sub = new Redis(options.url, { ...common, connectionName: `wakelink-${options.instanceId}-sub` });
    for (const client of [this.redis, this.sub]) {
      client.on('error', (error: Error) => {
        this.lastError = `${(error as { code?: string }).code ?? 'error'}: ${error.message}`;
      });
    }
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.onMessage(payload.toString('utf8')));
    // After Redis comes back (restarted, data gone): every instance writes its state again.
    this.redis.on('ready', () => {
      this.lastError = null;
      if (this.heartbeat) this.beat();
      this.resendLater();
      for (const listener of this.readyListeners) listener();
    });
  }

  /** Connects both clients and subscribes; a clear RedisStartError when it cannot. */
  async start(): Promise<void> {
    try {
      await Promise.all([this.redis.connect(), this.sub.connect()]);
      await this.sub.subscribe(channelOf(this.instanceId), BROADCAST);
      await this.beat();
    } catch (error) {
      this.redis.disconnect();
      this.sub.disconnect();
      throw new RedisStartError(`cannot use Redis at ${withoutPassword(this.options.url)}: ${this.lastError ?? (error as Error).message}`);
    }
    const period = Math.max(100, Math.floor(this.options.instanceTtlMs / 3));
    this.heartbeat = setInterval(() => void this.beat(), period);
    this.heartbeat.unref();
  }

  on(type: string, handler: BusHandler): void {
    this.handlers.set(type, handler);
  }

  /** Called whenever the command connection is (again) ready, e.g. after a Redis restart. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Called on every instance, once per other instance that was alive and whose heartbeat lapsed. */
  onInstanceDead(listener: (instance: string) => void): void {
    this.deadListeners.push(listener);
  }

  /** Called on one surviving instance only: the one that cleans up after the dead one's connections. */
  onReap(listener: (instance: string) => void): void {
    this.reapListeners.push(listener);
  }

  /** Null while Redis answers; the cause otherwise (for /api/health). */
  failure(): string | null {
    if (this.redis.status === 'ready' && this.sub.status === 'ready') return null;
    return this.lastError ?? `redis connection ${this.redis.status}`;
  }

  /** The command connection answers (the subscriber may still be reconnecting). */
  commandsReady(): boolean {
    return !this.closed && this.redis.status === 'ready';
  }

  isAlive(instance: string): boolean {
    return instance === this.instanceId || this.liveInstances.has(instance);
  }

  /**
   * Which of these instances are alive: known from the heartbeats, or by their liveness key when
   * they started after this instance's last beat (a board on an instance that just started must
   * not be listed offline, nor a command to it refused, for up to a heartbeat period).
   */
  async aliveAmong(instances: Iterable<string>): Promise<Set<string>> {
    const alive = new Set<string>();
    const unknown: string[] = [];
    for (const instance of new Set(instances)) {
      if (this.isAlive(instance)) alive.add(instance);
      else unknown.push(instance);
    }
    if (unknown.length === 0 || !this.commandsReady()) return alive;
    try {
      const keys = await this.redis.mget(...unknown.map(aliveKey));
      for (const [index, instance] of unknown.entries()) {
        if (keys[index] === null) continue;
        alive.add(instance);
        this.liveInstances.add(instance); // from now on its missed beats are counted like any other's
      }
    } catch {
      // Redis is away: only the instances already known count.
    }
    return alive;
  }

  /** Fire and forget; false when Redis is not reachable now. */
  send(instance: string, message: BusMessage): boolean {
    return this.publish(channelOf(instance), message);
  }

  broadcast(message: BusMessage): boolean {
    return this.publish(BROADCAST, message);
  }

  /**
   * For news every instance must hear even if Redis is away now (a revocation, a deletion): kept,
   * bounded, and sent again once Redis is back. Only for messages whose handlers are idempotent and
   * order-free (ending something twice, or late, is harmless).
   */
  broadcastEventually(message: BusMessage): void {
    const keep = () => {
      if (this.undelivered.length < MAX_UNDELIVERED_BROADCASTS) this.undelivered.push(message);
    };
    if (!this.publish(BROADCAST, message, keep)) keep();
  }

  /** The other instance's handler result, or undefined on timeout, unreachable Redis or a dead instance. */
  request(instance: string, message: BusMessage): Promise<unknown> {
    if (!this.isAlive(instance) || this.pending.size >= MAX_PENDING_REQUESTS) return Promise.resolve(undefined);
    const rid = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        resolve(undefined);
      }, this.options.requestTimeoutMs);
      this.pending.set(rid, { resolve, timer });
      if (!this.send(instance, { ...message, rid })) {
        clearTimeout(timer);
        this.pending.delete(rid);
        resolve(undefined);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.resendTimer) clearTimeout(this.resendTimer);
    for (const { resolve, timer } of this.pending.values()) {
      clearTimeout(timer);
      resolve(undefined);
    }
    this.pending.clear();
    try {
      if (this.redis.status === 'ready') await this.redis.multi().del(aliveKey(this.instanceId)).srem(INSTANCES, this.instanceId).exec();
    } catch {
      // Redis is away: the heartbeat key lapses by itself.
    }
    this.redis.disconnect();
    this.sub.disconnect();
  }

  private publish(channel: string, message: BusMessage, failed?: () => void): boolean {
    if (this.closed || this.redis.status !== 'ready') return false;
    this.redis.publish(channel, JSON.stringify({ ...message, from: this.instanceId })).catch(() => failed?.());
    return true;
  }

  /** Redis is back: what could not be broadcast goes out, once the others have had a moment to subscribe again. */
  private resendLater(): void {
    if (this.undelivered.length === 0 || this.resendTimer) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = null;
      const pending = this.undelivered.splice(0);
      for (const message of pending) this.broadcastEventually(message);
    }, RESEND_DELAY_MS);
    this.resendTimer.unref();
  }

  private onMessage(text: string): void {
    let message: BusMessage & { from?: string; rid?: number; reply?: boolean; value?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    const from = typeof message.from === 'string' ? message.from : '';
    if (from === this.instanceId && message.t !== 'reply') return; // our own broadcast
    // A message is proof of life: an instance that started after our last beat can be answered at once.
    if (from && from !== this.instanceId && !this.liveInstances.has(from)) {
      this.liveInstances.add(from);
      this.misses.delete(from);
    }
    if (message.t === 'reply') {
      const waiting = typeof message.rid === 'number' ? this.pending.get(message.rid) : undefined;
      if (!waiting) return;
      clearTimeout(waiting.timer);
      this.pending.delete(message.rid!);
      waiting.resolve(message.value);
      return;
    }
    const handler = this.handlers.get(message.t);
    if (!handler) return;
    const answer = (value: unknown) => {
      if (typeof message.rid === 'number') this.send(from, { t: 'reply', rid: message.rid, value: value ?? null });
    };
    try {
      const result = handler(message, from);
      if (result instanceof Promise) result.then(answer, () => answer(null));
      else answer(result);
    } catch {
      answer(null);
    }
  }

  /** Refreshes this instance's liveness key and learns which others are alive; reports the dead. */
  private async beat(): Promise<void> {
    if (this.closed || this.redis.status !== 'ready') return;
    try {
      const [, , members] = (await this.redis.multi()
        .set(aliveKey(this.instanceId), '1', 'PX', this.options.instanceTtlMs)
        .sadd(INSTANCES, this.instanceId)
        .smembers(INSTANCES)
        .exec())!.map(([error, value]) => {
        if (error) throw error;
        return value;
      }) as [unknown, unknown, string[]];
      const others = members.filter((member) => member !== this.instanceId);
      const alive = others.length === 0 ? [] : await this.redis.mget(...others.map(aliveKey));
      const heard = new Set<string>();
      const dead: string[] = [];
      for (const [index, instance] of others.entries()) {
        if (alive[index] !== null) heard.add(instance);
        else dead.push(instance);
      }
      for (const instance of heard) this.misses.delete(instance);
      // Gone only when missing on two beats in a row: right after a Redis restart the others have
      // not written their keys again yet, and must not be taken for dead. Missing means no liveness
      // key, whether or not a survivor has already reaped it from the member set.
      const live = new Set(heard);
      const gone: string[] = [];
      for (const instance of this.liveInstances) {
        if (heard.has(instance)) continue;
        const misses = (this.misses.get(instance) ?? 0) + 1;
        if (misses >= 2) {
          this.misses.delete(instance);
          gone.push(instance);
        } else {
          this.misses.set(instance, misses);
          live.add(instance);
        }
      }
      this.liveInstances = live;
      for (const instance of gone) for (const listener of this.deadListeners) listener(instance);
      for (const instance of dead) {
        // One survivor wins the right to clean up after the dead one.
        if ((await this.redis.set(`wl:reap:${instance}`, this.instanceId, 'PX', 60_000, 'NX')) !== 'OK') continue;
        await this.redis.srem(INSTANCES, instance);
        for (const listener of this.reapListeners) listener(instance);
      }
    } catch (error) {
      this.lastError = `${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}`;
    }
  }
}
