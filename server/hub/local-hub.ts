import { LIMITS } from '../limits';
import type { Clock } from '../time';
import type { HandedReply, Hub, InFlight, PeerSocket, ResponseOrigin } from './types';

/** Single-process hub: plain maps, every one bounded. */
export class LocalHub implements Hub {
  private readonly devices = new Map<string, PeerSocket>();
  private readonly clients = new Set<PeerSocket>();
  private readonly inFlightByDevice = new Map<string, InFlight[]>();
  private readonly queuedOrigins = new Map<number, ResponseOrigin>();
  private readonly waiters = new Map<string, Set<(reply?: HandedReply) => void>>();

  constructor(private readonly clock: Clock) {}

  attachDevice(deviceId: string, socket: PeerSocket): PeerSocket | undefined {
    const previous = this.devices.get(deviceId);
    this.devices.set(deviceId, socket);
    return previous === socket ? undefined : previous;
  }

  detachDevice(deviceId: string, socket: PeerSocket): void {
    if (this.devices.get(deviceId) === socket) this.devices.delete(deviceId);
  }

  deviceSocket(deviceId: string): PeerSocket | undefined {
    const socket = this.devices.get(deviceId);
    return socket?.isOpen() ? socket : undefined;
  }

  attachClient(socket: PeerSocket): void {
    this.clients.add(socket);
  }

  detachClient(socket: PeerSocket): void {
    this.clients.delete(socket);
    // Its queued commands' responses will go to HTTP pulling instead.
    for (const [id, origin] of this.queuedOrigins) {
      if (origin.kind === 'ws' && origin.client === socket) this.queuedOrigins.delete(id);
    }
    // Same for commands already on their way: no reference to a closed socket is kept (F5).
    for (const list of this.inFlightByDevice.values()) {
      for (const entry of list) if (entry.origin.kind === 'ws' && entry.origin.client === socket) entry.origin = { kind: 'http' };
    }
  }

  trackInFlight(deviceId: string, entry: InFlight): InFlight | undefined {
    let list = this.inFlightByDevice.get(deviceId);
    if (!list) this.inFlightByDevice.set(deviceId, (list = []));
    list.push(entry);
    return list.length > LIMITS.outstandingPerDevice ? list.shift() : undefined;
  }

  takeInFlight(deviceId: string, socketId: string): InFlight | undefined {
    const list = this.inFlightByDevice.get(deviceId);
    const index = list?.findIndex((entry) => entry.socketId === socketId) ?? -1;
    if (!list || index < 0) return undefined;
    const [entry] = list.splice(index, 1);
    if (list.length === 0) this.inFlightByDevice.delete(deviceId);
    return entry;
  }

  inFlight(deviceId: string): readonly InFlight[] {
    return this.inFlightByDevice.get(deviceId) ?? [];
  }

  removeInFlight(deviceId: string, entry: InFlight): void {
    const list = this.inFlightByDevice.get(deviceId);
    const index = list?.indexOf(entry) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.inFlightByDevice.delete(deviceId);
  }

  sweepInFlight(now: number): InFlight[] {
    const dropped: InFlight[] = [];
    for (const [deviceId, list] of [...this.inFlightByDevice]) {
      // Entries on the live socket stay until answered, or a late answer would shift FIFO matching.
      const liveId = this.deviceSocket(deviceId)?.id;
      for (const entry of [...list]) {
        if (entry.expiresAt > now || entry.socketId === liveId) continue;
        this.removeInFlight(deviceId, entry);
        dropped.push(entry);
      }
    }
    return dropped;
  }

  rememberQueuedOrigin(queueId: number, origin: ResponseOrigin): void {
    if (origin.kind === 'http') return; // the default; nothing to remember
    this.queuedOrigins.set(queueId, origin);
    // Bounded: the queue itself holds at most cap × devices rows; this map never outgrows a sane multiple.
    if (this.queuedOrigins.size > LIMITS.outstandingPerDevice * 1024) {
      const oldest = this.queuedOrigins.keys().next().value;
      if (oldest !== undefined) this.queuedOrigins.delete(oldest);
    }
  }

  takeQueuedOrigin(queueId: number): ResponseOrigin {
    const origin = this.queuedOrigins.get(queueId);
    this.queuedOrigins.delete(queueId);
    return origin ?? { kind: 'http' };
  }

  forgetDevice(deviceId: string): void {
    this.inFlightByDevice.delete(deviceId);
  }

  waitForResponse(deviceId: string, timeoutMs: number, signal?: AbortSignal): Promise<HandedReply | undefined> {
    return new Promise((resolve) => {
      if (timeoutMs <= 0 || signal?.aborted) return resolve(undefined);
      let set = this.waiters.get(deviceId);
      if (!set) this.waiters.set(deviceId, (set = new Set()));
      const waiters = set;
      const done = (reply?: HandedReply) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(deviceId) === waiters) this.waiters.delete(deviceId);
        resolve(reply);
      };
      const wake = () => done();
      const timer = setTimeout(wake, timeoutMs);
      signal?.addEventListener('abort', wake, { once: true });
      waiters.add(done);
    });
  }

  handReply(reply: HandedReply): boolean {
    const set = this.waiters.get(reply.deviceId);
    // Sets iterate in insertion order: the oldest waiter gets it.
    const oldest = set?.values().next().value;
    if (!oldest) return false;
    oldest(reply);
    return true;
  }

  notifyResponse(deviceId: string): void {
    const set = this.waiters.get(deviceId);
    if (set) for (const wake of [...set]) wake();
  }

  counts(): { devices: number; clients: number } {
    let devices = 0;
    for (const socket of this.devices.values()) if (socket.isOpen()) devices += 1;
    let clients = 0;
    for (const socket of this.clients) if (socket.isOpen()) clients += 1;
    return { devices, clients };
  }

  closeWhere(predicate: (socket: PeerSocket) => boolean, code: number, reason: string): void {
    for (const socket of [...this.devices.values(), ...this.clients]) {
      if (predicate(socket)) socket.close(code, reason);
    }
  }

  releaseWaiters(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }
}
