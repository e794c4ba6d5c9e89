/**
 * v1.0 commands across instances (issue 15). A command for a board whose socket is on another
 * instance is submitted there (the board's instance runs the one RelayService path: live write,
 * in-flight tracking, durable in-flight row), with the sender as a RemotePeer: whatever that
 * instance would write to the sender's socket (the reply, an `undelivered` notice) comes back on
 * this instance's channel and is written to the real socket here. Each forwarded command is
 * remembered until something comes back for it, so when the board's instance dies the sender is
 * told `undelivered` at once (the board, reconnecting elsewhere, still gets the command from the
 * durable queue) instead of waiting in silence.
 */
import type { Principal } from '../auth/auth-service';
import { RelayError, closeCodeFor, wireCode, type RelayErrorCode } from '../errors';
import type { HttpRequester, PeerSocket, ResponseOrigin } from '../hub/types';
import type { RelayPacket } from '../relay/packets';
import type { CommandForwarder, RelayService, SubmitResult } from '../relay/relay-service';
import type { Store } from '../store/types';
import type { RedisBackplane } from './redis-backplane';
import type { BusMessage, RedisBus } from './redis-bus';

type WireOrigin =
  | { kind: 'ws'; peer: string; fwd: number; routed?: { from: string; id: string | undefined } }
  | { kind: 'http'; requester: HttpRequester | null };

interface Outstanding {
  peer: PeerSocket;
  instance: string;
  deviceId: string;
  signature: string;
  /** Set when the command was queued on the board's instance: kept until then for its late reply. */
  queuedUntil?: number;
}

/** Boards with an unsent flush notice, at most (beyond it they get their commands at their next connect). */
const MAX_UNSENT_NOTICES = 100_000;
const RENOTICE_DELAY_MS = 1000;

/** Which instance queued a command (so the instance its board replies on can find the sender); expires with the command. */
const senderKey = (queueId: number) => `wl:qs:${queueId}`;

/** Forwarded commands remembered at most (each ends with its reply, its notice or its instance). */
const MAX_OUTSTANDING = 100_000;
const OUTSTANDING_SWEEP_MS = 10_000;
/** Device id → endpoint id, remembered at most (a device's endpoint id only changes if it is deleted and added again). */
const MAX_REMEMBERED_ENDPOINTS = 50_000;

/** The sender of a forwarded command, as the board's instance sees it. */
class RemotePeer implements PeerSocket {
  constructor(
    private readonly bus: RedisBus,
    private readonly instance: string,
    readonly id: string,
    readonly userId: number,
    readonly tokenId: number | null,
    private readonly fwd: number,
  ) {}

  send(text: string): boolean {
    return this.bus.isAlive(this.instance) && this.bus.send(this.instance, { t: 'toPeer', fwd: this.fwd, text });
  }

  close(): void {
    // The sender's socket is the other instance's to close.
  }

  isOpen(): boolean {
    return this.bus.isAlive(this.instance);
  }
}

export class ClusterCommands implements CommandForwarder {
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly endpointIds = new Map<string, string>();
  /** Boards whose "flush" notice could not be sent (Redis away): sent again once it is back. */
  private readonly unsentNotices = new Set<string>();
  private nextForward = 1;

  constructor(
    private readonly bus: RedisBus,
    private readonly backplane: RedisBackplane,
    private readonly store: Store,
    private readonly relay: RelayService,
  ) {
    bus.on('command', (m, from) => this.run(m as unknown as ForwardedCommand, from));
    bus.on('toPeer', (m) => {
      const entry = this.outstanding.get(Number(m.fwd));
      if (!entry) return;
      this.outstanding.delete(Number(m.fwd));
      entry.peer.send(String(m.text));
    });
    bus.on('flush', (m) => this.relay.flushQueue(String(m.device)));
    bus.on('queuedReply', (m) => this.queuedReply(m));
    // A device deleted anywhere: its socket, wherever it is, closes (an open board socket is its
    // owner's proof of ownership on the live path), and its remembered endpoint id goes.
    relay.onDeviceDeleted((deviceId, endpointId) => {
      this.endpointIds.delete(deviceId);
      bus.broadcastEventually({ t: 'device_deleted', device: deviceId, endpoint: endpointId });
    });
    bus.on('device_deleted', (m) => {
      const deviceId = String(m.device);
      this.endpointIds.delete(deviceId);
      const current = this.store.findDevice(deviceId);
      if (!current) {
        this.relay.dropDeletedDevice(deviceId);
        return;
      }
      // Heard late (resent after a Redis outage) and the device was added again since: only a
      // socket still bound to the deleted one's endpoint goes; the new one and its commands stay.
      if (typeof m.endpoint === 'string' && m.endpoint !== current.endpointId) {
        this.backplane.closeEndpoint(m.endpoint, closeCodeFor('DEVICE_DELETED'), 'device deleted');
      }
    });
    bus.onInstanceDead((instance) => this.instanceDied(instance));
    // Once Redis is back, give the other instances a moment to write their presence again first.
    bus.onReady(() => setTimeout(() => {
      const devices = [...this.unsentNotices];
      this.unsentNotices.clear();
      for (const deviceId of devices) this.queued(deviceId);
    }, RENOTICE_DELAY_MS).unref());
    relay.setForwarder(this);
    // Queued forwards whose reply never came back end with their queue TTL.
    setInterval(() => {
      const now = Date.now();
      for (const [fwd, entry] of this.outstanding) if (entry.queuedUntil !== undefined && entry.queuedUntil < now) this.outstanding.delete(fwd);
    }, OUTSTANDING_SWEEP_MS).unref();
  }

  async forward(principal: Principal, packet: RelayPacket, origin: ResponseOrigin, liveOnly: boolean): Promise<SubmitResult | undefined> {
    // A command that was forwarded here is never forwarded again (the board left meanwhile: it is queued here).
    if (origin.kind === 'ws' && origin.client instanceof RemotePeer) return undefined;
    const found = await this.holderOf(packet.deviceId);
    if (!found) return undefined;
    const { holder, endpointId } = found;
    let wire: WireOrigin;
    let fwd = 0;
    if (origin.kind === 'ws') {
      if (this.outstanding.size >= MAX_OUTSTANDING) return undefined;
      fwd = this.nextForward++;
      this.outstanding.set(fwd, { peer: origin.client, instance: holder.instance, deviceId: packet.deviceId, signature: packet.signature });
      wire = { kind: 'ws', peer: origin.client.id, fwd, ...(origin.routed ? { routed: origin.routed } : {}) };
    } else {
      wire = { kind: 'http', requester: origin.requester };
    }
    const answer = (await this.bus.request(holder.instance, { t: 'command', principal, packet, origin: wire, liveOnly })) as ForwardAnswer | null | undefined;
    if (!answer) {
      // No answer in time: the board's instance died or Redis is away; the caller queues it (or says target_offline).
      this.outstanding.delete(fwd);
      return undefined;
    }
    if ('error' in answer) {
      this.outstanding.delete(fwd);
      throw new RelayError(answer.error, answer.detail);
    }
    // Queued there (the board left in between): its reply or fate comes back when the board answers
    // or the command ends, as late as the queue's TTL; it is not `undelivered` if that instance dies.
    const entry = this.outstanding.get(fwd);
    if (!answer.delivered && entry) entry.queuedUntil = Date.now() + this.relay.queueTtlMs;
    return { delivered: answer.delivered, queued: answer.queued, boardEndpoint: endpointId };
  }

  /**
   * The other instance holding the board's socket, found without blocking on the database: a
   * device's endpoint id is remembered after its first lookup (bounded), and Redis says who holds
   * it. A remembered id that no longer leads anywhere (the device was deleted and added again) is
   * looked up once more.
   */
  private async holderOf(deviceId: string): Promise<{ holder: { instance: string }; endpointId: string } | undefined> {
    const remembered = this.endpointIds.get(deviceId);
    if (remembered !== undefined) {
      const holder = await this.backplane.remote(remembered);
      if (holder) return { holder, endpointId: remembered };
      // No instance holds it under that id: usually the board is offline (the caller reads the
      // database next anyway); an id that changed is read again here.
    }
    const endpointId = this.store.findDevice(deviceId)?.endpointId;
    this.endpointIds.delete(deviceId);
    if (endpointId === undefined) return undefined;
    if (this.endpointIds.size >= MAX_REMEMBERED_ENDPOINTS) this.endpointIds.delete(this.endpointIds.keys().next().value!);
    this.endpointIds.set(deviceId, endpointId);
    if (endpointId === remembered) return undefined;
    const holder = await this.backplane.remote(endpointId);
    return holder ? { holder, endpointId } : undefined;
  }

  queued(deviceId: string, queueId?: number, origin?: ResponseOrigin, expiresAt?: number): void {
    // Whoever the board replies on asks this instance for the sender (a WS client or an HTTP requester here).
    const known = origin !== undefined && (origin.kind === 'ws' || origin.requester !== null);
    if (known && queueId !== undefined && expiresAt !== undefined && this.bus.commandsReady()) {
      this.bus.redis.set(senderKey(queueId), this.bus.instanceId, 'PXAT', expiresAt).catch(() => undefined);
    }
    if (!this.bus.commandsReady()) {
      if (this.unsentNotices.size < MAX_UNSENT_NOTICES) this.unsentNotices.add(deviceId);
      return;
    }
    const device = this.store.findDevice(deviceId);
    if (!device) return;
    void this.backplane.remote(device.endpointId).then((holder) => {
      if (holder && !this.bus.send(holder.instance, { t: 'flush', device: deviceId }) && this.unsentNotices.size < MAX_UNSENT_NOTICES) this.unsentNotices.add(deviceId);
    });
  }

  async replyToQueuedSender(deviceId: string, userId: number, queueId: number, text: string): Promise<QueuedSenderAnswer> {
    if (!this.bus.commandsReady()) return { taken: false, requester: null };
    const instance = await this.bus.redis.get(senderKey(queueId)).catch(() => null);
    if (!instance || instance === this.bus.instanceId) return { taken: false, requester: null };
    const answer = (await this.bus.request(instance, { t: 'queuedReply', device: deviceId, user: userId, queue: queueId, text })) as QueuedSenderAnswer | null | undefined;
    return answer ?? { taken: false, requester: null };
  }

  /** The board replied on another instance to a command queued here: to its sender, if still here. */
  private queuedReply(m: BusMessage): QueuedSenderAnswer {
    const origin = this.relay.takeQueuedSender(String(m.device), Number(m.queue));
    if (origin.kind === 'http') return { taken: false, requester: origin.requester };
    const taken = origin.client.userId === Number(m.user) && origin.client.send(String(m.text));
    return taken ? { taken: true } : { taken: false, requester: null };
  }

  private async run(command: ForwardedCommand, from: string): Promise<ForwardAnswer> {
    const origin: ResponseOrigin = command.origin.kind === 'ws'
      ? {
        kind: 'ws',
        client: new RemotePeer(this.bus, from, command.origin.peer, command.principal.userId, command.principal.tokenId, command.origin.fwd),
        ...(command.origin.routed ? { routed: command.origin.routed } : {}),
        forwarded: true,
      }
      : { kind: 'http', requester: command.origin.requester };
    try {
      const result = await this.relay.submitCommand(command.principal, command.packet, origin, command.liveOnly);
      return { delivered: result.delivered, queued: result.queued };
    } catch (error) {
      if (error instanceof RelayError) return { error: error.code, detail: error.detail };
      return { error: 'QUEUE_UNAVAILABLE' };
    }
  }

  /** Senders of commands the dead instance had written to its board: a definite answer now. */
  private instanceDied(instance: string): void {
    for (const [fwd, entry] of this.outstanding) {
      if (entry.instance !== instance) continue;
      if (entry.queuedUntil !== undefined) {
        // In the database queue, not on a dead socket: it is delivered when its board connects.
        this.outstanding.delete(fwd);
        continue;
      }
      this.outstanding.delete(fwd);
      entry.peer.send(JSON.stringify({
        status: 'error', error: wireCode('COMMAND_UNDELIVERED'),
        message: 'The relay instance holding the board stopped before its reply; it may or may not have run the command',
        device_id: entry.deviceId, signature: entry.signature,
      }));
    }
  }
}

interface ForwardedCommand {
  principal: Principal;
  packet: RelayPacket;
  origin: WireOrigin;
  liveOnly: boolean;
}

type QueuedSenderAnswer = { taken: true } | { taken: false; requester: HttpRequester | null };

type ForwardAnswer = { delivered: boolean; queued: boolean } | { error: RelayErrorCode; detail?: string };
