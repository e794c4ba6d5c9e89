import type { HandedReply, HttpRequester } from '../hub/types';
import { LIMITS } from '../limits';
import type { Store, StoredResponse } from '../store/types';
import { DeferredRows } from './deferred-rows';
import { isOwn, sameAddress } from './requesters';

/** How a command ended without a reply (issue 12 item 11). */
export type EndedCode = 'COMMAND_EXPIRED' | 'COMMAND_UNDELIVERED';

export interface EndedCommand {
  deviceId: string;
  requester: HttpRequester;
  code: EndedCode;
  /** The command packet's signature: how its sender tells which command it was. */
  signature: string;
  detail: string;
  at: number;
}

/** What a pull gets: replies, or the news that the puller's command ended without one. */
export type PullResult = { kind: 'replies'; replies: HandedReply[] } | { kind: 'ended'; ended: EndedCommand };

/**
 * A reply waiting in memory for its pull for up to REPLY_ROW_DELAY_MS before it is written
 * (issue 17): the v1.0 client pulls right after its push is answered, and the board has usually
 * replied by then, so writing the reply and deleting it again a few milliseconds later was most of
 * an HTTP round trip's cost. The answered command's own row, if it has one (its board was slower
 * than INFLIGHT_ROW_DELAY_MS), stays until the reply is taken or written: a relay crash in between
 * re-sends the command, as if the board had not answered yet. A reply to a faster board has no row
 * behind it: a crash within the delay loses that reply (the command was delivered, as its sender was
 * told). At shutdown every parked reply is written, and later ones at once.
 */
interface ParkedReply {
  reply: HandedReply;
  commandRow: number | null;
}

export interface PickupPolicy {
  ttlMs: number;
  /**
   * Several instances share the store: their boards' replies land in it and their clients pull
   * from it, so no reply is parked here and every pull reads the store.
   */
  shared: boolean;
  /** REPLY_ROW_DELAY_MS; 0 writes every reply at once. */
  parkMs: number;
  /** PARKED_REPLIES: replies in memory at once; beyond it a reply is written at once. */
  parkedMax: number;
}

/**
 * Everything waiting for HTTP pulls besides the long-poll hand-off: who each stored reply belongs
 * to (item 6), replies the store refused (F9/F10), and commands that ended without a reply for an
 * HTTP sender (item 11). All in memory and bounded; after a restart every stored reply is
 * unowned, which means any pull of the device's owner may take it, as in v1.0.
 */
export class HttpPickup {
  /** Stored response row id → the requester whose command it answers (insertion order = age). */
  private readonly owners = new Map<number, HttpRequester>();
  /** Replies the store refused, oldest first, per device. */
  private readonly held = new Map<string, HandedReply[]>();
  private readonly ended = new Map<string, EndedCommand[]>();
  /** Parked replies per device, oldest first; `parking` writes each one after the delay. */
  private readonly parked = new Map<string, ParkedReply[]>();
  private readonly parking: DeferredRows<ParkedReply>;
  /**
   * Devices with no stored reply, as last seen by a pull (one instance writes them all, through
   * `storeOrHold`): their pulls skip the store. Bounded; a device dropped from it is read again.
   */
  private readonly noneStored = new Set<string>();
  private readonly ttlMs: number;

  constructor(private readonly store: Store, private readonly policy: PickupPolicy) {
    this.ttlMs = policy.ttlMs;
    this.parking = new DeferredRows(policy.shared ? 0 : policy.parkMs);
  }

  /**
   * Keeps a reply no waiting pull took: parked for its pull, else stored, else held in memory when
   * the store refuses it. `commandRow`: the answered command's durable row, deleted once the reply
   * is taken or written. `park`: it answers a command whose client is about to pull (not unsolicited).
   */
  keep(reply: HandedReply, now: number, commandRow: number | null, park: boolean): 'parked' | 'stored' | 'held' {
    if (!park || this.policy.shared || this.policy.parkMs <= 0 || this.parking.size >= this.policy.parkedMax) return this.write(reply, now, commandRow);
    const entry: ParkedReply = { reply, commandRow };
    let list = this.parked.get(reply.deviceId);
    if (!list) this.parked.set(reply.deviceId, (list = []));
    list.push(entry);
    void this.parking.hold(entry, true, async () => {
      if (!this.unpark(entry)) return; // taken, or its device deleted
      this.write(entry.reply, reply.createdAt, entry.commandRow);
    });
    return 'parked';
  }

  /** Writes every parked reply now, and every later one at once (shutdown, before the store closes). */
  writeParked(): void {
    this.parking.writeAll();
  }

  /** The rows of commands answered by this device's parked replies: answered, not to be sent again. */
  parkedCommandRows(deviceId: string): number[] {
    return (this.parked.get(deviceId) ?? []).flatMap((entry) => (entry.commandRow === null ? [] : [entry.commandRow]));
  }

  private write(reply: HandedReply, now: number, commandRow: number | null): 'stored' | 'held' {
    const kept = this.storeOrHold(reply, now);
    if (commandRow !== null) this.store.forget([commandRow]);
    return kept;
  }

  /** Removes a parked reply from its device's list; false when it was no longer there. */
  private unpark(entry: ParkedReply): boolean {
    const list = this.parked.get(entry.reply.deviceId);
    const index = list ? list.indexOf(entry) : -1;
    if (index < 0) return false;
    list!.splice(index, 1);
    if (list!.length === 0) this.parked.delete(entry.reply.deviceId);
    return true;
  }

  private rememberNoneStored(deviceId: string): void {
    this.noneStored.delete(deviceId);
    this.noneStored.add(deviceId);
    if (this.noneStored.size > LIMITS.replyOwnersRemembered) this.noneStored.delete(this.noneStored.values().next().value!);
  }

  private storeOrHold(reply: HandedReply, now: number): 'stored' | 'held' {
    let id: number;
    // Before the write: a write that fails after its commit must not leave the device marked empty.
    this.noneStored.delete(reply.deviceId);
    try {
      id = this.store.storeResponse(reply, now, this.ttlMs, LIMITS.storedResponsesPerDevice);
    } catch {
      // Locked or full database (F9, F10): this is the reply's only copy.
      this.hold(reply);
      return 'held';
    }
    if (reply.requester !== null) {
      this.owners.set(id, reply.requester);
      if (this.owners.size > LIMITS.replyOwnersRemembered) this.owners.delete(this.owners.keys().next().value!);
    }
    return 'stored';
  }

  /** Which waiting pull gets a fresh reply: its sender's, else (unowned) a free one, else one of its address with nothing of its own pending. */
  chooseWaiter(reply: HandedReply, waiters: readonly HttpRequester[], ownPending: (puller: HttpRequester) => boolean): number {
    const own = waiters.findIndex((puller) => isOwn(reply.requester, puller));
    if (own >= 0) return own;
    if (reply.requester === null) {
      const free = waiters.findIndex((puller) => !ownPending(puller));
      return free >= 0 ? free : waiters.length > 0 ? 0 : -1;
    }
    return waiters.findIndex((puller) => sameAddress(reply.requester, puller) && !ownPending(puller));
  }

  /**
   * What `puller` may take now, oldest first within each group: its own replies; else the fate of
   * its own command that ended without one; else the oldest reply owed to another connection of
   * its address (only when it has nothing pending itself: a client that pulls on a new
   * connection), then unowned replies. Taken replies are deleted.
   */
  take(deviceId: string, puller: HttpRequester, now: number, ownPending: boolean): PullResult | null {
    const held = (this.held.get(deviceId) ?? []).filter((reply) => reply.createdAt + this.ttlMs > now);
    const parked = this.parked.get(deviceId) ?? [];
    let takenHeld: HandedReply[] = [];
    let takenParked: ParkedReply[] = [];
    let storedLeft = -1;
    let chosen: HandedReply[] = [];
    type Candidate = { row: StoredResponse | null; parked: ParkedReply | null; reply: HandedReply };
    const choose = (rows: StoredResponse[]): StoredResponse[] => {
      const candidates: Candidate[] = [
        ...rows.map((row) => ({ row, parked: null, reply: this.toReply(row) })),
        ...held.map((reply) => ({ row: null, parked: null, reply })),
        ...parked.map((entry) => ({ row: null, parked: entry, reply: entry.reply })),
      ].sort((a, b) => a.reply.createdAt - b.reply.createdAt);
      const own = candidates.filter((c) => isOwn(c.reply.requester, puller));
      const ended = own.length === 0 ? this.ownEnded(deviceId, puller, now) : -1;
      let others: Candidate[] = [];
      if (own.length === 0 && ended < 0) {
        // One reply of the puller's address at a time, oldest first: clients push and pull in turn,
        // so the oldest is the one this client is owed (Android reads only the first message).
        const ofAddress = ownPending ? undefined : candidates.find((c) => !isOwn(c.reply.requester, puller) && sameAddress(c.reply.requester, puller));
        others = [...(ofAddress ? [ofAddress] : []), ...candidates.filter((c) => c.reply.requester === null)];
      }
      const picked = [...own, ...others].slice(0, LIMITS.pullMaxMessages);
      chosen = picked.map((c) => c.reply);
      takenHeld = picked.filter((c) => c.row === null && c.parked === null).map((c) => c.reply);
      takenParked = picked.flatMap((c) => (c.parked ? [c.parked] : []));
      const takenRows = picked.flatMap((c) => (c.row ? [c.row] : []));
      storedLeft = rows.length - takenRows.length;
      return takenRows;
    };
    try {
      if (!this.policy.shared && this.noneStored.has(deviceId)) choose([]);
      else {
        for (const row of this.store.takeResponses(deviceId, now, LIMITS.storedResponsesPerDevice, choose)) this.owners.delete(row.id);
        // The read saw every live row of the device (the store keeps at most that many).
        if (storedLeft === 0 && !this.policy.shared) this.rememberNoneStored(deviceId);
      }
    } catch (error) {
      // The database refuses even the read: held and parked replies are still handed out (F9).
      if (held.length === 0 && parked.length === 0) throw error;
      choose([]);
    }
    for (const entry of takenParked) {
      this.unpark(entry);
      this.parking.settled(entry);
      if (entry.commandRow !== null) this.store.forget([entry.commandRow]);
    }
    const left = held.filter((reply) => !takenHeld.includes(reply));
    if (left.length > 0) this.held.set(deviceId, left);
    else this.held.delete(deviceId);
    if (chosen.length > 0) return { kind: 'replies', replies: chosen };
    const index = this.ownEnded(deviceId, puller, now);
    if (index < 0) return null;
    const list = this.ended.get(deviceId)!;
    const [ended] = list.splice(index, 1);
    if (list.length === 0) this.ended.delete(deviceId);
    return { kind: 'ended', ended: ended! };
  }

  recordEnded(ended: EndedCommand): void {
    let list = this.ended.get(ended.deviceId);
    if (!list) {
      if (this.ended.size >= LIMITS.unstoredReplyDevices) this.ended.delete(this.ended.keys().next().value!);
      this.ended.set(ended.deviceId, (list = []));
    }
    list.push(ended);
    if (list.length > LIMITS.endedCommandsPerDevice) list.shift();
  }

  /** A new push supersedes what its sender was still to be told about older commands. */
  supersede(deviceId: string, requester: HttpRequester): void {
    const list = this.ended.get(deviceId);
    if (!list) return;
    const left = list.filter((ended) => !isOwn(ended.requester, requester));
    if (left.length > 0) this.ended.set(deviceId, left);
    else this.ended.delete(deviceId);
  }

  forgetDevice(deviceId: string): void {
    for (const entry of this.parked.get(deviceId) ?? []) this.parking.settled(entry);
    this.parked.delete(deviceId);
    this.held.delete(deviceId);
    this.ended.delete(deviceId);
  }

  private ownEnded(deviceId: string, puller: HttpRequester, now: number): number {
    return (this.ended.get(deviceId) ?? []).findIndex((ended) => ended.at + this.ttlMs > now && isOwn(ended.requester, puller));
  }

  private toReply(row: StoredResponse): HandedReply {
    return {
      deviceId: row.deviceId, payload: row.payload, signature: row.signature, requestCounter: row.requestCounter, createdAt: row.createdAt,
      requester: this.owners.get(row.id) ?? null,
    };
  }

  private hold(reply: HandedReply): void {
    let list = this.held.get(reply.deviceId);
    if (!list) {
      if (this.held.size >= LIMITS.unstoredReplyDevices) this.held.delete(this.held.keys().next().value!);
      this.held.set(reply.deviceId, (list = []));
    }
    list.push(reply);
    if (list.length > LIMITS.unstoredRepliesPerDevice) list.shift();
  }
}
