import { ERROR_TABLE, RelayError, closeCodeFor, wireCode } from '../errors';
import type { Principal } from '../auth/auth-service';
import type { HandedReply, Hub, InFlight, ResponseOrigin } from '../hub/types';
import { LIMITS } from '../limits';
import type { DeviceRecord, Store } from '../store/types';
import type { Clock } from '../time';
import { clientFrame, deviceFrame, type RelayPacket } from './packets';

export interface RelayPolicy {
  queueTtlMs: number;
  queueCap: number;
}

export interface SubmitResult {
  delivered: boolean;
  queued: boolean;
}

/**
 * Where a device response went; `unsolicited` = no command was in flight on that socket (F14);
 * `held` = the database refused the write (F9/F10), kept in memory for the next pull.
 */
export type ResponseRoute = 'ws' | 'stored' | 'unsolicited' | 'held';

/**
 * The relay's routing rules on top of the store and the hub. Blind: it moves payload/signature
 * text around and never derives keys or decrypts.
 */
export class RelayService {
  private closing = false;
  /** Replies the store refused, oldest first, until the owner pulls them (bounded by LIMITS). */
  private readonly unstored = new Map<string, HandedReply[]>();

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly clock: Clock,
    private readonly policy: RelayPolicy,
  ) {}

  /** The caller's device, or DEVICE_NOT_FOUND — identical for missing and foreign ids (B14/B15). */
  ownedDevice(principal: Principal, deviceId: string): DeviceRecord {
    const device = this.store.findDevice(deviceId);
    if (!device || device.userId !== principal.userId) throw new RelayError('DEVICE_NOT_FOUND');
    return device;
  }

  /** Forwards to the live device socket, or queues durably; resolves after the queue row is on disk. */
  async submitCommand(principal: Principal, packet: RelayPacket, origin: ResponseOrigin): Promise<SubmitResult> {
    const socket = this.hub.deviceSocket(packet.deviceId);
    // An open device socket was bound to the device's owner at its handshake, and deleting the
    // device closes it, so its owner is the device's owner: no database read on the live path.
    if (socket) {
      if (socket.userId !== principal.userId) throw new RelayError('DEVICE_NOT_FOUND');
    } else {
      this.ownedDevice(principal, packet.deviceId);
    }
    const frame = deviceFrame(packet);
    if (Buffer.byteLength(frame) > LIMITS.deviceFrameBytes) {
      throw new RelayError('PACKET_TOO_LARGE', `Frames to devices are limited to ${LIMITS.deviceFrameBytes} bytes`);
    }
    if (socket && socket.send(frame)) {
      // Live forwarding never waits for the disk (F9, F10): the in-flight record is in memory, so
      // a device that drops before answering gets it again on reconnect (F4).
      this.track(packet.deviceId, {
        queueId: null, frame, origin, socketId: socket.id, attempts: 1, expiresAt: this.clock.now() + this.policy.queueTtlMs,
      });
      return { delivered: true, queued: false };
    }
    const result = await this.store.enqueue(packet, this.clock.now(), this.policy.queueTtlMs, this.policy.queueCap);
    if (!result.ok) {
      if (result.reason === 'queue_full') throw new RelayError('QUEUE_FULL', `Device queue full (${this.policy.queueCap} commands)`);
      if (result.reason === 'device_missing') throw new RelayError('DEVICE_NOT_FOUND');
      throw new RelayError('QUEUE_UNAVAILABLE', undefined, 1);
    }
    this.hub.rememberQueuedOrigin(result.id, origin);
    // The device may have connected while this insert waited for its group commit.
    if (this.hub.deviceSocket(packet.deviceId)) this.flushQueue(packet.deviceId);
    return { delivered: false, queued: true };
  }

  /**
   * Writes to the device (after the welcome frame, B14): first the commands a previous connection
   * took but never answered (F4: same bytes, same order), then queued ones not yet on this socket.
   * Returns how many frames were written.
   */
  flushQueue(deviceId: string): number {
    const socket = this.hub.deviceSocket(deviceId);
    if (!socket) return 0;
    const now = this.clock.now();
    this.expireQueued(now, deviceId);
    const delivered: number[] = [];
    const abandoned: number[] = [];
    let written = 0;
    let blocked = false;
    for (const entry of [...this.hub.inFlight(deviceId)]) {
      if (entry.socketId === socket.id) continue;
      if (entry.expiresAt <= now || entry.attempts >= LIMITS.deliveryAttempts) {
        this.hub.removeInFlight(deviceId, entry);
        if (entry.queueId !== null) abandoned.push(entry.queueId);
        continue;
      }
      if (!socket.send(entry.frame)) {
        blocked = true;
        break;
      }
      entry.socketId = socket.id;
      entry.attempts += 1;
      written += 1;
      if (entry.queueId !== null) delivered.push(entry.queueId);
    }
    if (!blocked) {
      const onTheirWay = new Set(this.hub.inFlight(deviceId).map((entry) => entry.queueId));
      for (const command of this.store.pendingFor(deviceId, now)) {
        if (onTheirWay.has(command.id)) continue;
        // Rows delivered before a relay restart carry their attempts from the database.
        if (command.attempts >= LIMITS.deliveryAttempts) {
          this.hub.takeQueuedOrigin(command.id);
          abandoned.push(command.id);
          continue;
        }
        const frame = deviceFrame(command);
        if (!socket.send(frame)) break;
        written += 1;
        delivered.push(command.id);
        this.track(deviceId, {
          queueId: command.id, frame, origin: this.hub.takeQueuedOrigin(command.id), socketId: socket.id,
          attempts: command.attempts + 1, expiresAt: command.expiresAt,
        }, abandoned);
      }
    }
    // Bookkeeping: if it fails (locked DB), rows keep an older attempt count; nothing is lost.
    this.bestEffort(() => this.store.markDelivered(delivered, now));
    this.bestEffort(() => this.store.remove(abandoned));
    return written;
  }

  /**
   * A device response answers the oldest command in flight on the socket it came from (devices
   * answer every packet, in order, even a duplicate they refuse). It goes to that command's WS
   * sender if still connected, else to HTTP pull storage (only the owner can pull it).
   */
  handleDeviceResponse(device: Pick<DeviceRecord, 'deviceId' | 'userId'>, packet: RelayPacket, socketId: string): ResponseRoute {
    const entry = this.hub.takeInFlight(device.deviceId, socketId);
    if (entry?.queueId != null) {
      const answered = entry.queueId;
      this.bestEffort(() => this.store.remove([answered]));
    }
    const origin = entry?.origin;
    const frame = { ...packet, deviceId: device.deviceId };
    const toClient = origin?.kind === 'ws' && origin.client.userId === device.userId && origin.client.send(clientFrame(frame));
    // Bookkeeping only: a locked or full database must not stop live forwarding (F9, F10).
    this.bestEffort(() => this.store.touchDevice(device.deviceId, this.clock.now(), packet.requestCounter));
    if (toClient) return 'ws';
    // A long poll of the owner waiting now takes it directly: nothing is written. Waiters exist
    // only while the device has no stored responses, so this keeps their order.
    const reply: HandedReply = {
      deviceId: device.deviceId, payload: packet.payload, signature: packet.signature, requestCounter: packet.requestCounter, createdAt: this.clock.now(),
    };
    if (!this.hub.handReply(reply)) {
      try {
        this.store.storeResponse(frame, this.clock.now(), this.policy.queueTtlMs, LIMITS.storedResponsesPerDevice);
      } catch {
        // Locked or full database (F9, F10): the in-flight entry is already taken, so this is
        // the reply's only copy.
        this.hold(reply);
        this.hub.notifyResponse(device.deviceId);
        return 'held';
      }
      this.hub.notifyResponse(device.deviceId);
    }
    return entry ? 'stored' : 'unsolicited';
  }

  /**
   * The periodic cleanup: expired queue rows (telling WS senders still connected), forgotten
   * in-flight entries of offline devices, expired stored responses. Returns rows removed.
   */
  sweepExpired(): number {
    const now = this.clock.now();
    const expired = this.expireQueued(now);
    this.hub.sweepInFlight(now);
    return expired + this.store.sweepExpired(now);
  }

  /** Long poll: returns as soon as responses exist (woken by `notifyResponse`), or at the deadline. */
  async pull(principal: Principal, deviceId: string, waitMs: number, signal?: AbortSignal): Promise<HandedReply[]> {
    this.ownedDevice(principal, deviceId);
    const deadline = this.clock.now() + Math.min(Math.max(0, waitMs), LIMITS.pullMaxWaitMs);
    for (;;) {
      const responses = this.takeAll(deviceId);
      if (responses.length > 0) {
        this.store.addPolls(deviceId, 1);
        return responses;
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || signal?.aborted || this.closing) return [];
      const handed = await this.hub.waitForResponse(deviceId, remaining, signal);
      // Handed over by the owner's device socket while the device existed (deleting wakes us empty).
      if (handed) {
        this.store.addPolls(deviceId, 1);
        return [handed];
      }
      // The device may have been deleted, or ownership checked again, while we slept.
      if (!this.store.findDevice(deviceId)) return [];
    }
  }

  /** Shutdown: pending long polls return now (empty) instead of holding the close. */
  shutdown(): void {
    this.closing = true;
    this.hub.releaseWaiters();
  }

  /** Deletes the device (queue and responses cascade) and closes its socket. */
  deleteDevice(principal: Principal, deviceId: string): void {
    this.ownedDevice(principal, deviceId);
    if (!this.store.deleteDevice(principal.userId, deviceId)) throw new RelayError('DEVICE_NOT_FOUND');
    const socket = this.hub.deviceSocket(deviceId);
    socket?.close(closeCodeFor('DEVICE_DELETED'), 'device deleted');
    this.hub.forgetDevice(deviceId);
    this.unstored.delete(deviceId);
    this.hub.notifyResponse(deviceId);
  }

  private hold(reply: HandedReply): void {
    let list = this.unstored.get(reply.deviceId);
    if (!list) {
      if (this.unstored.size >= LIMITS.unstoredReplyDevices) {
        const oldest = this.unstored.keys().next().value;
        if (oldest !== undefined) this.unstored.delete(oldest);
      }
      this.unstored.set(reply.deviceId, (list = []));
    }
    list.push(reply);
    if (list.length > LIMITS.unstoredRepliesPerDevice) list.shift();
  }

  /**
   * Stored responses (older) then held ones, at most pullMaxMessages. Held replies are still
   * returned when the database refuses the read; expired ones are dropped like stored ones.
   */
  private takeAll(deviceId: string): HandedReply[] {
    const now = this.clock.now();
    const held = (this.unstored.get(deviceId) ?? []).filter((r) => r.createdAt + this.policy.queueTtlMs > now);
    let stored: HandedReply[];
    try {
      stored = this.store.takeResponses(deviceId, now, LIMITS.pullMaxMessages);
    } catch (error) {
      if (held.length === 0) throw error;
      stored = [];
    }
    const room = Math.max(0, LIMITS.pullMaxMessages - stored.length);
    const taken = held.splice(0, room);
    if (held.length > 0) this.unstored.set(deviceId, held);
    else this.unstored.delete(deviceId);
    return stored.concat(taken);
  }

  private track(deviceId: string, entry: InFlight, abandoned?: number[]): void {
    const dropped = this.hub.trackInFlight(deviceId, entry);
    if (dropped?.queueId == null) return;
    // Over the per-device bound: give the oldest up, or a later flush would send it again.
    if (abandoned) abandoned.push(dropped.queueId);
    else {
      const id = dropped.queueId;
      this.bestEffort(() => this.store.remove([id]));
    }
  }

  /**
   * Deletes expired queue rows. A command that never reached the device is reported to its WS
   * sender if that socket is still open (item C1: "or reported expired"); one that was delivered
   * may have run, so nothing is claimed about it.
   */
  private expireQueued(now: number, deviceId?: string): number {
    const expired = this.store.takeExpired(now, deviceId);
    for (const command of expired) {
      const origin = this.hub.takeQueuedOrigin(command.id);
      if (command.attempts > 0 || origin.kind !== 'ws') continue;
      origin.client.send(JSON.stringify({
        status: 'error', error: wireCode('COMMAND_EXPIRED'), message: ERROR_TABLE.COMMAND_EXPIRED.message, device_id: command.deviceId,
      }));
    }
    return expired.length;
  }

  private bestEffort(write: () => void): void {
    try {
      write();
    } catch {
      // The database is locked or full (F9, F10): the caller's main work is already done.
    }
  }
}
