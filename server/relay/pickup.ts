import type { HandedReply, HttpRequester } from '../hub/types';
import { LIMITS } from '../limits';
import type { Store, StoredResponse } from '../store/types';
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

  constructor(private readonly store: Store, private readonly ttlMs: number) {}

  /** Keeps a reply no waiting pull took: stored, or held in memory when the store refuses it. */
  keep(reply: HandedReply, now: number): 'stored' | 'held' {
    let id: number;
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
    let takenHeld: HandedReply[] = [];
    let chosen: HandedReply[] = [];
    const choose = (rows: StoredResponse[]): StoredResponse[] => {
      const candidates = [
        ...rows.map((row) => ({ row, reply: this.toReply(row) })),
        ...held.map((reply) => ({ row: null, reply })),
      ].sort((a, b) => a.reply.createdAt - b.reply.createdAt);
      const own = candidates.filter((c) => isOwn(c.reply.requester, puller));
      const ended = own.length === 0 ? this.ownEnded(deviceId, puller, now) : -1;
      let others: typeof candidates = [];
      if (own.length === 0 && ended < 0) {
        // One reply of the puller's address at a time, oldest first: clients push and pull in turn,
        // so the oldest is the one this client is owed (Android reads only the first message).
        const ofAddress = ownPending ? undefined : candidates.find((c) => !isOwn(c.reply.requester, puller) && sameAddress(c.reply.requester, puller));
        others = [...(ofAddress ? [ofAddress] : []), ...candidates.filter((c) => c.reply.requester === null)];
      }
      const picked = [...own, ...others].slice(0, LIMITS.pullMaxMessages);
      chosen = picked.map((c) => c.reply);
      takenHeld = picked.filter((c) => c.row === null).map((c) => c.reply);
      return picked.flatMap((c) => (c.row ? [c.row] : []));
    };
    try {
      for (const row of this.store.takeResponses(deviceId, now, LIMITS.storedResponsesPerDevice, choose)) this.owners.delete(row.id);
    } catch (error) {
      // The database refuses even the read: held replies are still handed out (F9).
      if (held.length === 0) throw error;
      choose([]);
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
