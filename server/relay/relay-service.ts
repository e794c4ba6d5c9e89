import { ERROR_TABLE, RelayError, closeCodeFor, wireCode } from '../errors';
import type { Principal } from '../auth/auth-service';
import { UNKNOWN_ORIGIN, type HandedReply, type HttpRequester, type Hub, type InFlight, type PeerSocket, type ResponseOrigin } from '../hub/types';
import { LIMITS } from '../limits';
import type { DeviceRecord, Store } from '../store/types';
import type { Clock } from '../time';
import { responseFrame } from '../routing/frames';
import { clientFrame, deviceFrame, type RelayPacket } from './packets';
import { HttpPickup, type EndedCode, type PullResult } from './pickup';
import { DeferredRows } from './deferred-rows';
import { isOwn } from './requesters';
import type { CommandForwarder, RelayPolicy, ResponseRoute, SubmitResult } from './relay-types';

export type { CommandForwarder, RelayPolicy, ResponseRoute, SubmitResult } from './relay-types';

/**
 * The relay's routing rules on top of the store and the hub. Blind: it moves payload/signature
 * text around and never derives keys or decrypts.
 */
export class RelayService {
  private closing = false;
  private readonly pickup: HttpPickup;
  private forwarder: CommandForwarder | null = null;
  private readonly deferredRows: DeferredRows<InFlight>;
  private readonly deletedListeners: ((deviceId: string, endpointId: string) => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly clock: Clock,
    private readonly policy: RelayPolicy,
  ) {
    this.pickup = new HttpPickup(store, {
      ttlMs: policy.queueTtlMs, shared: policy.sharedStore ?? false, parkMs: policy.replyRowDelayMs ?? 0, parkedMax: policy.parkedReplies ?? 0,
    });
    this.deferredRows = new DeferredRows(policy.inFlightRowDelayMs ?? 0);
  }

  setForwarder(forwarder: CommandForwarder): void {
    this.forwarder = forwarder;
  }

  /** The caller's device, or DEVICE_NOT_FOUND — identical for missing and foreign ids (B14/B15). */
  ownedDevice(principal: Principal, deviceId: string): DeviceRecord {
    const device = this.store.findDevice(deviceId);
    if (!device || device.userId !== principal.userId) throw new RelayError('DEVICE_NOT_FOUND');
    return device;
  }

  /**
   * The device's live socket here, after checking it is the caller's: a socket was bound to the
   * device's owner at its handshake, and deleting the device closes it, so no database read is
   * needed while one is open. Without one, `readStore` checks the store (DEVICE_NOT_FOUND).
   */
  private liveOwned(principal: Principal, deviceId: string, readStore: boolean): PeerSocket | undefined {
    const socket = this.hub.deviceSocket(deviceId);
    if (socket) {
      if (socket.userId !== principal.userId) throw new RelayError('DEVICE_NOT_FOUND');
    } else if (readStore) {
      this.ownedDevice(principal, deviceId);
    }
    return socket;
  }

  /**
   * Forwards to the live device socket, or queues (unless `liveOnly`: then TARGET_OFFLINE). Either way it resolves once the command's row
   * is committed (C1: `queued` and `delivered` both survive a crash, item 11); a live command whose
   * row cannot be written (database failing, F9/F10) is still forwarded and tracked in memory.
   */
  async submitCommand(principal: Principal, packet: RelayPacket, origin: ResponseOrigin, liveOnly = false): Promise<SubmitResult> {
    // Another instance holding the board's socket checks a forwarded command there, so this
    // instance reads the database only when no instance holds the board.
    const socket = this.liveOwned(principal, packet.deviceId, this.forwarder === null);
    const frame = deviceFrame(packet);
    if (Buffer.byteLength(frame) > LIMITS.deviceFrameBytes) {
      throw new RelayError('PACKET_TOO_LARGE', `Frames to devices are limited to ${LIMITS.deviceFrameBytes} bytes`);
    }
    // Only once ownership is known (here, or by the board's instance): a stranger's push must not touch the owner's notices.
    const supersede = () => {
      if (origin.kind === 'http' && origin.requester) this.pickup.supersede(packet.deviceId, origin.requester);
    };
    if (!socket && this.forwarder) {
      const remote = await this.forwarder.forward(principal, packet, origin, liveOnly);
      if (remote) {
        supersede();
        return remote;
      }
      this.ownedDevice(principal, packet.deviceId);
    }
    supersede();
    const now = this.clock.now();
    if (socket && socket.send(frame)) {
      const entry: InFlight = {
        queueId: null, frame, origin, signature: packet.signature, socketId: socket.id, attempts: 1, expiresAt: now + this.policy.queueTtlMs,
      };
      this.track(packet.deviceId, entry);
      // While writes fail, live forwarding does not wait for the disk (F9, F10): memory only.
      if (this.store.writeFailure() === null) {
        // For a v1.0 WS sender (its ACK and the reply come in either order) and, on one instance, an
        // HTTP push (its client pulls the reply after the answer; the reply waits for it, parked).
        // A routing `command` keeps its ack before the response; a command forwarded by another
        // instance is answered at the commit (that instance waits, bounded).
        const defer = origin.kind === 'ws' ? !origin.routed && !origin.forwarded : !this.policy.sharedStore;
        await this.deferredRows.hold(entry, defer, async () => {
          if (!this.hub.inFlight(packet.deviceId).includes(entry)) return; // answered or given up: no row needed
          const row = await this.store.recordInFlight(packet, now, this.policy.queueTtlMs);
          if (row.ok) {
            // Answered (or given up) while the row was being written: it is not needed any more.
            if (this.hub.inFlight(packet.deviceId).includes(entry)) entry.queueId = row.id;
            else this.store.forget([row.id]);
          }
        });
      }
      return { delivered: true, queued: false };
    }
    // A routing-protocol `command` is never queued: its sender is told at once (issue 13).
    if (liveOnly) throw new RelayError('TARGET_OFFLINE');
    const result = await this.store.enqueue(packet, now, this.policy.queueTtlMs, this.policy.queueCap);
    if (!result.ok) {
      if (result.reason === 'queue_full') throw new RelayError('QUEUE_FULL', `Device queue full (${this.policy.queueCap} commands)`);
      if (result.reason === 'device_missing') throw new RelayError('DEVICE_NOT_FOUND');
      throw new RelayError('QUEUE_UNAVAILABLE', undefined, 1);
    }
    this.hub.rememberQueuedOrigin(packet.deviceId, result.id, origin);
    // The device may have connected while this insert waited for its group commit.
    if (this.hub.deviceSocket(packet.deviceId)) this.flushQueue(packet.deviceId);
    else this.forwarder?.queued(packet.deviceId, result.id, origin, now + this.policy.queueTtlMs);
    return { delivered: false, queued: true };
  }

  /**
   * Writes to the device (after the welcome frame, B14): first the commands a previous connection
   * took but never answered (F4: same bytes, same order), then queued ones not yet on this socket.
   * A command past its attempts or TTL is given up and its sender told (`undelivered`, item 11).
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
        this.endWithoutReply(deviceId, entry.origin, 'COMMAND_UNDELIVERED', entry.signature);
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
      // Rows of commands in flight, and of answered ones whose reply is parked for its pull (their
      // row goes when the reply is taken or written): neither is sent again.
      const onTheirWay = new Set<number | null>(this.hub.inFlight(deviceId).map((entry) => entry.queueId));
      for (const row of this.pickup.parkedCommandRows(deviceId)) onTheirWay.add(row);
      for (const command of this.store.pendingFor(deviceId, now)) {
        if (onTheirWay.has(command.id)) continue;
        // Rows delivered before a relay restart carry their attempts from the database.
        if (command.attempts >= LIMITS.deliveryAttempts) {
          this.endWithoutReply(deviceId, this.hub.takeQueuedOrigin(deviceId, command.id), 'COMMAND_UNDELIVERED', command.signature);
          abandoned.push(command.id);
          continue;
        }
        const frame = deviceFrame(command);
        if (!socket.send(frame)) break;
        written += 1;
        delivered.push(command.id);
        this.track(deviceId, {
          queueId: command.id, frame, origin: this.hub.takeQueuedOrigin(deviceId, command.id), signature: command.signature,
          socketId: socket.id, attempts: command.attempts + 1, expiresAt: command.expiresAt,
        });
      }
    }
    // Bookkeeping: if it fails (locked DB), rows keep an older attempt count; nothing is lost.
    this.bestEffort(() => this.store.markDelivered(delivered, now));
    this.store.forget(abandoned);
    return written;
  }

  /**
   * A device response answers the oldest command in flight on the socket it came from (devices
   * answer every packet, in order, even a duplicate they refuse). It goes to that command's WS
   * sender if still connected, else to HTTP pulling: to the pull of the client whose push it
   * answers (item 6), or, when nobody is known, to any pull of the owner.
   */
  handleDeviceResponse(device: Pick<DeviceRecord, 'deviceId' | 'userId'>, packet: RelayPacket, socketId: string): ResponseRoute {
    const entry = this.hub.takeInFlight(device.deviceId, socketId);
    if (entry) this.deferredRows.settled(entry);
    // The command's row goes once its reply is written to a socket, or taken or written for pulling.
    const commandRow = entry?.queueId ?? null;
    const origin = entry?.origin;
    const frame = { ...packet, deviceId: device.deviceId };
    const toClient = origin?.kind === 'ws' && origin.client.userId === device.userId
      && origin.client.send(origin.routed ? responseFrame(origin.routed.from, device.deviceId, clientFrame(frame), origin.routed.id) : clientFrame(frame));
    // Bookkeeping only: a locked or full database must not stop live forwarding (F9, F10).
    this.bestEffort(() => this.store.touchDevice(device.deviceId, this.clock.now(), packet.requestCounter));
    if (toClient) {
      this.forgetRow(commandRow);
      return 'ws';
    }
    // A queued command whose sender is on another instance (it queued the command there): that
    // instance writes the reply to its socket, or says whose pull it is for.
    if (commandRow !== null && origin === UNKNOWN_ORIGIN && this.forwarder) {
      this.forgetRow(commandRow);
      this.forwarder.replyToQueuedSender(device.deviceId, device.userId, commandRow, clientFrame(frame)).then(
        (answer) => {
          if (!answer.taken) this.keepForPull(device.deviceId, packet, answer.requester);
        },
        () => this.keepForPull(device.deviceId, packet, null),
      );
      return 'stored';
    }
    const kept = this.keepForPull(device.deviceId, packet, origin?.kind === 'http' ? origin.requester : null, entry ? { commandRow } : undefined);
    if (kept === 'held') return 'held';
    return entry ? 'stored' : 'unsolicited';
  }

  /**
   * A reply for HTTP pulling: to a long poll waiting now (nothing written), else kept for the next
   * pull. `answered`: the command it answers here, whose client is about to pull (parked, pickup.ts).
   */
  private keepForPull(deviceId: string, packet: RelayPacket, requester: HttpRequester | null, answered?: { commandRow: number | null }): 'handed' | 'stored' | 'held' {
    const commandRow = answered?.commandRow ?? null;
    const reply: HandedReply = {
      deviceId, payload: packet.payload, signature: packet.signature, requestCounter: packet.requestCounter, createdAt: this.clock.now(), requester,
    };
    const handed = this.hub.handReply(reply, (waiters) => this.pickup.chooseWaiter(reply, waiters, (puller) => this.ownPending(deviceId, puller)));
    if (handed) {
      this.forgetRow(commandRow);
      return 'handed';
    }
    const kept = this.pickup.keep(reply, this.clock.now(), commandRow, answered !== undefined);
    this.hub.notifyResponse(deviceId);
    return kept === 'held' ? 'held' : 'stored';
  }

  private forgetRow(row: number | null): void {
    if (row !== null) this.store.forget([row]);
  }

  /**
   * The periodic cleanup: expired queue rows and in-flight entries of offline devices (telling
   * their senders, item 11), expired stored responses. Returns rows removed.
   */
  sweepExpired(): number {
    const now = this.clock.now();
    const expired = this.expireQueued(now);
    for (const { deviceId, entry } of this.hub.sweepInFlight(now)) {
      if (entry.queueId !== null) this.store.forget([entry.queueId]);
      this.endWithoutReply(deviceId, entry.origin, 'COMMAND_UNDELIVERED', entry.signature);
    }
    return expired + this.store.sweepExpired(now);
  }

  /**
   * Long poll for `puller`: returns as soon as something of theirs exists (woken by
   * `notifyResponse`), or at the deadline. `ended`: their command ended without a reply.
   */
  async pull(principal: Principal, deviceId: string, waitMs: number, puller: HttpRequester, hangup?: { readonly signal: AbortSignal }): Promise<PullResult> {
    this.liveOwned(principal, deviceId, true);
    const deadline = this.clock.now() + Math.min(Math.max(0, waitMs), LIMITS.pullMaxWaitMs);
    for (;;) {
      const found = this.pickup.take(deviceId, puller, this.clock.now(), this.ownPending(deviceId, puller));
      if (found) {
        if (found.kind === 'replies') this.store.addPolls(deviceId, 1);
        return found;
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || this.closing) return { kind: 'replies', replies: [] };
      // Only a pull that waits needs its hang-up signal (most find their reply at once).
      const signal = hangup?.signal;
      if (signal?.aborted) return { kind: 'replies', replies: [] };
      const handed = await this.hub.waitForResponse(deviceId, remaining, signal, puller);
      // Handed over by the owner's device socket while the device existed (deleting wakes us empty).
      if (handed) {
        this.store.addPolls(deviceId, 1);
        return { kind: 'replies', replies: [handed] };
      }
      // The device may have been deleted, or ownership checked again, while we slept.
      if (!this.store.findDevice(deviceId)) return { kind: 'replies', replies: [] };
    }
  }

  /** Shutdown: pending long polls return now (empty) instead of holding the close. */
  shutdown(): void {
    this.closing = true;
    this.deferredRows.writeAll(); // the store commits them before it closes
    this.pickup.writeParked();
    this.hub.releaseWaiters();
  }

  /** Deletes the device (queue and responses cascade) and closes its socket; senders are told. */
  deleteDevice(principal: Principal, deviceId: string): void {
    const { endpointId } = this.ownedDevice(principal, deviceId);
    if (!this.store.deleteDevice(principal.userId, deviceId)) throw new RelayError('DEVICE_NOT_FOUND');
    this.dropDeletedDevice(deviceId);
    this.hub.notifyResponse(deviceId);
    for (const listener of this.deletedListeners) listener(deviceId, endpointId);
  }

  /** How long a queued command waits (QUEUE_TTL_SECONDS). */
  get queueTtlMs(): number {
    return this.policy.queueTtlMs;
  }

  /** The sender of a command queued here, taken (issue 15: its board replied on another instance). */
  takeQueuedSender(deviceId: string, queueId: number): ResponseOrigin {
    return this.hub.takeQueuedOrigin(deviceId, queueId);
  }

  /** A device deleted on another instance (issue 15): its socket here closes and its commands here end. */
  dropDeletedDevice(deviceId: string): void {
    const socket = this.hub.deviceSocket(deviceId);
    socket?.close(closeCodeFor('DEVICE_DELETED'), 'device deleted');
    const { inFlight, queued } = this.hub.forgetDevice(deviceId);
    this.pickup.forgetDevice(deviceId);
    for (const entry of inFlight) this.endWithoutReply(deviceId, entry.origin, 'COMMAND_UNDELIVERED', entry.signature, 'Device deleted');
    for (const origin of queued) this.endWithoutReply(deviceId, origin, 'COMMAND_EXPIRED', null, 'Device deleted');
  }

  /** A device was deleted here (the cluster tells the other instances). */
  onDeviceDeleted(listener: (deviceId: string, endpointId: string) => void): void {
    this.deletedListeners.push(listener);
  }

  /** The puller has a command of its own still on its way (in flight or queued). */
  private ownPending(deviceId: string, puller: HttpRequester): boolean {
    for (const entry of this.hub.inFlight(deviceId)) if (entry.origin.kind === 'http' && isOwn(entry.origin.requester, puller)) return true;
    for (const origin of this.hub.queuedOrigins(deviceId)) if (origin.kind === 'http' && isOwn(origin.requester, puller)) return true;
    return false;
  }

  private track(deviceId: string, entry: InFlight): void {
    const dropped = this.hub.trackInFlight(deviceId, entry);
    if (!dropped) return;
    // Over the per-device bound: give the oldest up, or a later flush would send it again.
    if (dropped.queueId !== null) this.store.forget([dropped.queueId]);
    this.endWithoutReply(deviceId, dropped.origin, 'COMMAND_UNDELIVERED', dropped.signature);
  }

  /**
   * Deletes expired queue rows. A command that never reached the device is reported `expired`;
   * one that did is reported by its in-flight entry when that is given up (it may still be
   * answered on the live socket), or, if the relay no longer tracks it, `undelivered`.
   */
  private expireQueued(now: number, deviceId?: string): number {
    const expired = this.store.takeExpired(now, deviceId);
    for (const command of expired) {
      const tracked = this.hub.inFlight(command.deviceId).some((entry) => entry.queueId === command.id);
      if (tracked) continue;
      const origin = this.hub.takeQueuedOrigin(command.deviceId, command.id);
      this.endWithoutReply(command.deviceId, origin, command.attempts > 0 ? 'COMMAND_UNDELIVERED' : 'COMMAND_EXPIRED', command.signature);
    }
    return expired.length;
  }

  /** Tells a command's sender it ended without a reply: a WS frame, or the answer to their next pull (item 11). */
  private endWithoutReply(deviceId: string, origin: ResponseOrigin | undefined, code: EndedCode, signature: string | null, detail?: string): void {
    if (!origin || origin === UNKNOWN_ORIGIN) return;
    const message = detail ?? ERROR_TABLE[code].message;
    if (origin.kind === 'ws') {
      origin.client.send(JSON.stringify({
        status: 'error', error: wireCode(code), message, device_id: deviceId, ...(signature !== null ? { signature } : {}),
      }));
      return;
    }
    if (origin.requester === null) return;
    this.pickup.recordEnded({ deviceId, requester: origin.requester, code, signature: signature ?? '', detail: message, at: this.clock.now() });
    this.hub.notifyResponse(deviceId);
  }

  private bestEffort(write: () => void): void {
    try {
      write();
    } catch {
      // The database is locked or full (F9, F10): the caller's main work is already done.
    }
  }
}
