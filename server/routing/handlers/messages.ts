/**
 * Acknowledged endpoint-to-endpoint messages (issue 13). Every message is committed to the
 * recipient's mailbox before anything is said to its sender, written to the recipient's socket when
 * its in-flight window allows (MESSAGES_IN_FLIGHT), in mailbox order (so in order per sender), and
 * deleted only when the recipient acks its msgid: at least once across disconnects and restarts,
 * duplicates recognisable by msgid. The sender hears `delivered` or `stored`, later `delivered` or
 * `expired`; with `acknowledge: true` it also gets the recipient's ack.
 */
import { isConnectionEndpointId, newMsgid } from '../../ids';
import type { MailboxItem } from '../../store/types';
import { record, origin, type RoutingContext } from '../context';
import { FrameError } from '../codec-rules';
import type { RoutedMessage } from '../envelope';
import { messageFrame, receiptFrame, routedAckFrame } from '../frames';
import type { Session } from '../session';

export async function handleMessage(ctx: RoutingContext, session: Session, message: RoutedMessage): Promise<void> {
  const context: Record<string, unknown> = message.msgid === null ? {} : { msgid: message.msgid };
  if (message.from !== null && message.from !== session.endpointId) {
    // Your own uuid is fine; anything else (another endpoint, another account's, a missing one) is forged.
    const named = await ctx.endpoints.resolve(session.userId, message.from);
    if (named?.id !== session.endpointId) throw new FrameError('FORGED_FROM', `\`from\` must be this connection's endpoint (${session.endpointId})`, context);
  }
  const target = await ctx.endpoints.resolve(session.userId, message.to);
  if (!target) throw new FrameError('ENDPOINT_NOT_FOUND', `No endpoint ${message.to} in your account`, { ...context, to: message.to });
  if (target.kind === 'board') {
    throw new FrameError('UNSUPPORTED_TARGET', 'boards take v1.0 commands (a packet or a `command` frame), not messages', { ...context, to: target.id });
  }
  if (target.ephemeral && !(await ctx.backplane.connectionInfo(target.id))?.routingAware) {
    // A connection-scoped endpoint that never spoke the routing protocol is a v1.0 client: it gets nothing new.
    throw new FrameError('TARGET_OFFLINE', `Endpoint ${target.id} does not take messages`, { ...context, to: target.id });
  }
  const msgid = message.msgid ?? newMsgid();
  const now = ctx.clock.now();
  const put = await ctx.store.putMail({
    toEndpoint: target.id, fromEndpoint: session.endpointId, kind: 'message', msgid, frame: messageFrame(message, session.endpointId, msgid, now),
    acknowledge: message.acknowledge, createdAt: now, expiresAt: now + ctx.limits.messageTtlMs,
  }, ctx.limits.messageQueueCap);
  const meta = {
    msgid, priority: message.priority, acknowledge: message.acknowledge, content_bytes: message.contentBytes, ...origin(session),
    ...(message.subject === null ? {} : { subject: message.subject }), ...(message.action === null ? {} : { action: message.action }),
    ...(message.event === null ? {} : { event: message.event }), ...(message.status === null ? {} : { message_status: message.status }),
    ...(message.conversationId === null ? {} : { conversation_id: message.conversationId }), ...(message.msgno === null ? {} : { msgno: message.msgno }),
  };
  if (!put.ok) {
    const code = put.reason === 'full' ? 'MAILBOX_FULL' : 'DATABASE_UNAVAILABLE';
    record(ctx, { userId: session.userId, kind: 'message', fromEndpoint: session.endpointId, toEndpoint: target.id, status: code === 'MAILBOX_FULL' ? 'mailbox_full' : 'unavailable', meta });
    throw new FrameError(code, code === 'MAILBOX_FULL' ? `${target.id} already has ${ctx.limits.messageQueueCap} messages waiting (MESSAGE_QUEUE_CAP)` : 'The message could not be stored; try again', { msgid, to: target.id });
  }
  // The pump that writes it to the recipient tells its sender `delivered` (this one, or a later one).
  const delivered = await ctx.backplane.mailboxChanged(target.id, put.id);
  if (put.duplicate) session.peer.send(receiptFrame(msgid, target.id, delivered ? 'delivered' : 'stored', ctx.clock.now(), true));
  else if (!delivered) session.peer.send(receiptFrame(msgid, target.id, 'stored', ctx.clock.now()));
  if (!put.duplicate) record(ctx, { userId: session.userId, kind: 'message', fromEndpoint: session.endpointId, toEndpoint: target.id, status: delivered ? 'delivered' : 'stored', meta });
}

/**
 * Writes what the connection's window allows from its mailbox, oldest first; the sender of each
 * message written hears `delivered` (a message written here before its own handler resumes is
 * answered here too, so no sender hears `delivered` twice). Routed acks are written once and
 * deleted. Returns whether item `itemId` is on the socket.
 */
export function pumpMailbox(ctx: RoutingContext, session: Session, itemId: number): boolean {
  if (session.ephemeral) session.hadMail = true;
  const room = ctx.limits.messagesInFlight - (session.mailOnSocket?.size ?? 0);
  if (room > 0) {
    const now = ctx.clock.now();
    for (const item of ctx.store.pendingMail(session.endpointId, now, room, session.lastMailId)) {
      if (!session.peer.send(item.frame)) break;
      session.lastMailId = item.id;
      if (item.kind === 'ack') {
        ctx.store.dropMail([item.id]);
        continue;
      }
      (session.mailOnSocket ??= new Map()).set(item.id, { msgid: item.msgid, from: item.fromEndpoint, acknowledge: item.acknowledge });
      void ctx.backplane.deliver(item.fromEndpoint, receiptFrame(item.msgid, session.endpointId, 'delivered', now), true);
    }
  }
  return session.mailOnSocket?.has(itemId) ?? false;
}

/** `{"type":"ack","msgid":…}` from a recipient: the item leaves its mailbox; its sender gets the ack if it asked. */
export async function handleAck(ctx: RoutingContext, session: Session, ack: { msgid: string; status: string | null }): Promise<void> {
  const items = [...(session.mailOnSocket ?? [])].filter(([, item]) => item.msgid === ack.msgid);
  if (items.length === 0) throw new FrameError('UNKNOWN_MSGID', `No message ${ack.msgid} was delivered on this connection and is waiting for its ack`, { msgid: ack.msgid });
  const now = ctx.clock.now();
  for (const [id] of items) session.mailOnSocket?.delete(id);
  ctx.store.dropMail(items.map(([id]) => id));
  for (const [, item] of items) {
    record(ctx, { userId: session.userId, kind: 'ack', fromEndpoint: session.endpointId, toEndpoint: item.from, status: item.acknowledge ? 'routed' : 'done', meta: { msgid: ack.msgid, ...(ack.status === null ? {} : { ack_status: ack.status }), ...origin(session) } });
    if (!item.acknowledge) continue;
    const frame = routedAckFrame(ack.msgid, session.endpointId, item.from, ack.status, now);
    if (await ctx.backplane.deliver(item.from, frame, true)) continue;
    // The sender is offline: a registered one finds the ack in its mailbox (written to it once).
    if (isConnectionEndpointId(item.from)) continue;
    const put = await ctx.store.putMail({
      toEndpoint: item.from, fromEndpoint: session.endpointId, kind: 'ack', msgid: ack.msgid, frame, acknowledge: false, createdAt: now, expiresAt: now + ctx.limits.messageTtlMs,
    }, ctx.limits.messageQueueCap);
    if (put.ok) await ctx.backplane.mailboxChanged(item.from, put.id);
  }
  pumpMailbox(ctx, session, 0);
}

/** Expired mailbox items: gone from their recipient's window; their senders, if connected, hear `expired`. */
export function expireMail(ctx: RoutingContext): number {
  const expired: MailboxItem[] = ctx.store.takeExpiredMail(ctx.clock.now());
  for (const item of expired) {
    (ctx.backplane.local(item.toEndpoint) as Session | undefined)?.mailOnSocket?.delete(item.id);
    if (item.kind === 'message') void ctx.backplane.deliver(item.fromEndpoint, receiptFrame(item.msgid, item.toEndpoint, 'expired', ctx.clock.now()), true);
  }
  return expired.length;
}
