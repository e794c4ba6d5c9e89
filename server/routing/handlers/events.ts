/**
 * Events and presence to every subscribed client (issue 13), and the subscriptions themselves.
 * An event is fanned out to the connections of the publisher's account subscribed to it, never
 * stored (history keeps its name and size); a board's events (the wake confirmations of issue 16)
 * take the same path as any endpoint's.
 */
import type { EndpointKind } from '../../store/types';
import type { SubscriptionScope } from '../backplane';
import { record, origin, type RoutingContext } from '../context';
import { FrameError } from '../codec-rules';
import { eventFrame, presenceFrame, subscribedFrame, type SubscribedEndpoint } from '../frames';
import type { Session } from '../session';

export function handleEvent(ctx: RoutingContext, session: Session, frame: { event: string; content: unknown; contentBytes: number }): void {
  if (!session.takeEventToken()) {
    throw new FrameError('RATE_LIMITED', `at most ${ctx.limits.eventsPerSecond} events per second (EVENTS_PER_SECOND, burst EVENT_BURST)`, { event: frame.event });
  }
  // A pairing host's events also reach its paired clients, subscribed or not (issue 14).
  const paired = session.ephemeral ? [] : ctx.pairings.clientsOf(session.endpointId);
  const recipients = ctx.backplane.fanOut(session, eventFrame(session.endpointId, session.deviceId, frame.event, frame.content, ctx.clock.now()), paired);
  record(ctx, {
    userId: session.userId, kind: 'event', fromEndpoint: session.endpointId, toEndpoint: null, status: 'fanned_out',
    meta: { event: frame.event, content_bytes: frame.contentBytes, recipients, ...(paired.length > 0 ? { paired_clients: paired.length } : {}), ...(session.deviceId === null ? {} : { device_id: session.deviceId }), ...origin(session) },
  });
}

/** Tells the endpoint's subscribers it came online or went offline. */
export function publishPresence(ctx: RoutingContext, who: { userId: number; endpointId: string; kind: EndpointKind; deviceId: string | null }, online: boolean): void {
  ctx.backplane.fanOut(who, presenceFrame(who.endpointId, who.deviceId, who.kind, online, ctx.clock.now()));
}

/**
 * `subscribe` / `unsubscribe`: all or nothing (one endpoint that is not the caller's, and nothing
 * changes); answered with what the connection now follows and whether each is online.
 */
export async function handleSubscription(
  ctx: RoutingContext, session: Session, frame: { type: 'subscribe' | 'unsubscribe'; id: string | undefined; refs: string[]; scopes: SubscriptionScope[] },
): Promise<void> {
  const context = frame.id === undefined ? {} : { id: frame.id };
  const ids: string[] = [];
  for (const ref of frame.refs) {
    const found = await ctx.endpoints.resolve(session.userId, ref);
    if (!found) throw new FrameError('ENDPOINT_NOT_FOUND', `No endpoint ${ref} in your account; nothing was changed`, { ...context, endpoint: ref });
    ids.push(found.id);
  }
  const change = { scopes: frame.scopes, endpoints: ids };
  if (frame.type === 'subscribe') {
    const current = new Set(ctx.backplane.subscriptionsOf(session).endpoints);
    const added = ids.filter((id) => !current.has(id)).length;
    if (current.size + added > ctx.limits.subscriptionsPerSocket) {
      throw new FrameError('SUBSCRIPTION_LIMIT', `at most ${ctx.limits.subscriptionsPerSocket} endpoints per connection (SUBSCRIPTIONS_PER_SOCKET); nothing was changed`, context);
    }
    ctx.backplane.subscribe(session, change);
  } else {
    ctx.backplane.unsubscribe(session, change);
  }
  const now = ctx.backplane.subscriptionsOf(session);
  const views = await ctx.endpoints.list(session.userId);
  const covered = (view: (typeof views)[number]) =>
    view.id !== session.endpointId && (now.scopes.includes('all') || (now.scopes.includes('boards') && view.kind === 'board') || now.endpoints.includes(view.id));
  const endpoints: SubscribedEndpoint[] = views.filter(covered).map((view) => ({
    endpoint: view.id, ...(view.device_id === null ? {} : { device_id: view.device_id }), kind: view.kind, name: view.name, online: view.online,
  }));
  session.peer.send(subscribedFrame(session.endpointId, frame.id, now.scopes, endpoints));
}
