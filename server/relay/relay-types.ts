import type { Principal } from '../auth/auth-service';
import type { HttpRequester, ResponseOrigin } from '../hub/types';
import type { RelayPacket } from './packets';

/** The shapes RelayService works with (relay-service.ts): its policy, results and cluster hook. */

export interface RelayPolicy {
  queueTtlMs: number;
  queueCap: number;
  /** INFLIGHT_ROW_DELAY_MS (DeferredRows); absent: 0, the row is written at once. */
  inFlightRowDelayMs?: number;
  /** REPLY_ROW_DELAY_MS and PARKED_REPLIES (pickup.ts); absent: 0, replies are written at once. */
  replyRowDelayMs?: number;
  parkedReplies?: number;
  /** Other instances use the store too (PostgreSQL, Redis): replies for pulling are written at once. */
  sharedStore?: boolean;
}

export interface SubmitResult {
  delivered: boolean;
  queued: boolean;
  /** The board's endpoint, when the path that took the command already knew it (saves the audit a lookup). */
  boardEndpoint?: string;
}

/** Several instances (issue 15): commands for a board whose socket is on another instance go there. */
export interface CommandForwarder {
  /** Submits the command on the instance holding the board's socket; undefined when no other instance holds it. */
  forward(principal: Principal, packet: RelayPacket, origin: ResponseOrigin, liveOnly: boolean): Promise<SubmitResult | undefined>;
  /**
   * A command was queued for a board not connected here: the instance holding it, if any, writes
   * it; the instance the board replies on will ask this one for the command's sender.
   */
  queued(deviceId: string, queueId: number, origin: ResponseOrigin, expiresAt: number): void;
  /**
   * The board answered here a queued command whose sender is not known here: the instance that
   * queued it writes the reply to its WS sender (`taken`), or names the HTTP requester to keep it for.
   */
  replyToQueuedSender(deviceId: string, userId: number, queueId: number, text: string): Promise<{ taken: true } | { taken: false; requester: HttpRequester | null }>;
}

/**
 * Where a device response went; `unsolicited` = no command was in flight on that socket (F14);
 * `held` = the database refused the write (F9/F10), kept in memory for the next pull.
 */
export type ResponseRoute = 'ws' | 'stored' | 'unsolicited' | 'held';
