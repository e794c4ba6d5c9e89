import { LIMITS } from '../limits';
import type { Presence } from '../routing/backplane';
import { UNKNOWN_ORIGIN, type HandedReply, type Hub, type HttpRequester, type InFlight, type PeerSocket, type ResponseOrigin } from './types';

interface Waiter {
  puller: HttpRequester;
  done(reply?: HandedReply): void;
}

/** Bound on queued origins remembered (the queue holds at most cap × devices rows; this is a sane multiple). */
const MAX_QUEUED_ORIGINS = LIMITS.outstandingPerDevice * 1024;

const NONE_IN_FLIGHT: readonly InFlight[] = Object.freeze([]);

/** Single-process hub: plain maps, every one bounded. Sockets are the backplane's. */
export class LocalHub implements Hub {
  private readonly inFlightByDevice = new Map<string, InFlight[]>();
  /** Per device: queue row id → who queued it (WS, or the HTTP requester). */
  private readonly queued = new Map<string, Map<number, ResponseOrigin>>();
  private queuedCount = 0;
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly presence: Presence) {}

  deviceSocket(deviceId: string): PeerSocket | undefined {
    const socket = this.presence.localBoard(deviceId)?.peer;
    return socket?.isOpen() ? socket : undefined;
  }

  forgetClient(socket: PeerSocket): void {
    // Its queued commands' responses will go to HTTP pulling instead.
    for (const [deviceId, origins] of this.queued) {
      for (const [id, origin] of origins) if (origin.kind === 'ws' && origin.client === socket) this.dropQueued(deviceId, id);
    }
    // Same for commands already on their way: no reference to a closed socket is kept (F5).
    for (const list of this.inFlightByDevice.values()) {
      for (const entry of list) if (entry.origin.kind === 'ws' && entry.origin.client === socket) entry.origin = UNKNOWN_ORIGIN;
    }
  }

  trackInFlight(deviceId: string, entry: InFlight): InFlight | undefined {
    let list = this.inFlightByDevice.get(deviceId);
    if (!list) this.inFlightByDevice.set(deviceId, (list = []));
    list.push(entry);
    return list.length > LIMITS.outstandingPerDevice ? list.shift() : undefined;
  }

  /**
   * The oldest entry on that socket. An emptied list stays in the map until the next sweep (or
   * forgetDevice): a device answering command after command would otherwise delete and recreate its
   * entry on every round trip. No closure per call, and the usual case (the head answers) is a shift.
   */
  takeInFlight(deviceId: string, socketId: string): InFlight | undefined {
    const list = this.inFlightByDevice.get(deviceId);
    if (!list) return undefined;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      if (entry.socketId !== socketId) continue;
      if (i === 0) list.shift();
      else list.splice(i, 1);
      return entry;
    }
    return undefined;
  }

  inFlight(deviceId: string): readonly InFlight[] {
    return this.inFlightByDevice.get(deviceId) ?? NONE_IN_FLIGHT;
  }

  removeInFlight(deviceId: string, entry: InFlight): void {
    const list = this.inFlightByDevice.get(deviceId);
    const index = list?.indexOf(entry) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.inFlightByDevice.delete(deviceId);
  }

  sweepInFlight(now: number): { deviceId: string; entry: InFlight }[] {
    const dropped: { deviceId: string; entry: InFlight }[] = [];
    for (const [deviceId, list] of [...this.inFlightByDevice]) {
      // Lists emptied by answers since the last sweep go now (the map holds only devices with work).
      if (list.length === 0) {
        this.inFlightByDevice.delete(deviceId);
        continue;
      }
      // Entries on the live socket stay until answered, or a late answer would shift FIFO matching.
      const liveId = this.deviceSocket(deviceId)?.id;
      for (const entry of [...list]) {
        if (entry.expiresAt > now || entry.socketId === liveId) continue;
        this.removeInFlight(deviceId, entry);
        dropped.push({ deviceId, entry });
      }
    }
    return dropped;
  }

  rememberQueuedOrigin(deviceId: string, queueId: number, origin: ResponseOrigin): void {
    if (origin.kind === 'http' && origin.requester === null) return; // the default; nothing to remember
    let origins = this.queued.get(deviceId);
    if (!origins) this.queued.set(deviceId, (origins = new Map()));
    origins.set(queueId, origin);
    this.queuedCount += 1;
    // Bounded: forgetting an origin only sends its reply to any pull of the owner, as v1.0 did.
    if (this.queuedCount > MAX_QUEUED_ORIGINS) {
      const [oldestDevice, oldest] = this.queued.entries().next().value!;
      this.dropQueued(oldestDevice, oldest.keys().next().value!);
    }
  }

  takeQueuedOrigin(deviceId: string, queueId: number): ResponseOrigin {
    const origin = this.queued.get(deviceId)?.get(queueId);
    if (origin) this.dropQueued(deviceId, queueId);
    return origin ?? UNKNOWN_ORIGIN;
  }

  queuedOrigins(deviceId: string): Iterable<ResponseOrigin> {
    return this.queued.get(deviceId)?.values() ?? [];
  }

  forgetDevice(deviceId: string): { inFlight: InFlight[]; queued: ResponseOrigin[] } {
    const inFlight = this.inFlightByDevice.get(deviceId) ?? [];
    const queued = [...this.queuedOrigins(deviceId)];
    this.inFlightByDevice.delete(deviceId);
    this.queuedCount -= this.queued.get(deviceId)?.size ?? 0;
    this.queued.delete(deviceId);
    return { inFlight, queued };
  }

  waitForResponse(deviceId: string, timeoutMs: number, signal: AbortSignal | undefined, puller: HttpRequester): Promise<HandedReply | undefined> {
    return new Promise((resolve) => {
      if (timeoutMs <= 0 || signal?.aborted) return resolve(undefined);
      let set = this.waiters.get(deviceId);
      if (!set) this.waiters.set(deviceId, (set = new Set()));
      const waiters = set;
      const waiter: Waiter = {
        puller,
        done: (reply?: HandedReply) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', wake);
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiters.get(deviceId) === waiters) this.waiters.delete(deviceId);
          resolve(reply);
        },
      };
      const wake = () => waiter.done();
      const timer = setTimeout(wake, timeoutMs);
      signal?.addEventListener('abort', wake, { once: true });
      waiters.add(waiter);
    });
  }

  handReply(reply: HandedReply, choose: (waiters: readonly HttpRequester[]) => number): boolean {
    const set = this.waiters.get(reply.deviceId);
    if (!set) return false;
    // Sets iterate in insertion order: oldest waiter first.
    const waiting = [...set];
    const index = choose(waiting.map((waiter) => waiter.puller));
    const chosen = waiting[index];
    if (!chosen) return false;
    chosen.done(reply);
    return true;
  }

  notifyResponse(deviceId: string): void {
    const set = this.waiters.get(deviceId);
    if (set) for (const waiter of [...set]) waiter.done();
  }

  counts(): { devices: number; clients: number } {
    let devices = 0;
    let clients = 0;
    for (const conn of this.presence.localConnections()) {
      if (!conn.peer.isOpen()) continue;
      if (conn.kind === 'board') devices += 1;
      else clients += 1;
    }
    return { devices, clients };
  }

  closeWhere(predicate: (socket: PeerSocket) => boolean, code: number, reason: string): void {
    for (const conn of [...this.presence.localConnections()]) {
      if (predicate(conn.peer)) conn.peer.close(code, reason);
    }
  }

  releaseWaiters(): void {
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.done();
  }

  private dropQueued(deviceId: string, queueId: number): void {
    const origins = this.queued.get(deviceId);
    if (!origins?.delete(queueId)) return;
    this.queuedCount -= 1;
    if (origins.size === 0) this.queued.delete(deviceId);
  }
}
