/**
 * WebRTC signaling (issue 13): `offer`, `answer` and `ice-candidate` between endpoints of one
 * account, live only. The sender gets `{"type":"ack","message":"Message delivered to …"}` once the
 * frame is on the target's socket, or `target_offline` / `endpoint_not_found` (another account's
 * endpoint looks missing). Frames up to WS_MAX_FRAME_BYTES (64 KB); see ws/sessions.ts for larger.
 */
import type { JsonObject } from '../../../shared/index';
import { record, origin, type RoutingContext } from '../context';
import { FrameError } from '../codec-rules';
import type { SignalType } from '../codec';
import { deliveredAckFrame, signalFrame } from '../frames';
import type { Session } from '../session';

export async function handleSignal(
  ctx: RoutingContext, session: Session, frame: { signal: SignalType; id: string | undefined; target: string; payload: JsonObject },
): Promise<void> {
  const context = { ...(frame.id === undefined ? {} : { id: frame.id }), target_device_id: frame.target };
  const target = await ctx.endpoints.resolve(session.userId, frame.target);
  const meta = { signal: frame.signal, ...origin(session) };
  const refuse = (error: FrameError): never => {
    record(ctx, { userId: session.userId, kind: 'signal', fromEndpoint: session.endpointId, toEndpoint: target?.id ?? null, status: error.wire, meta });
    throw error;
  };
  if (!target) return refuse(new FrameError('ENDPOINT_NOT_FOUND', `No endpoint ${frame.target} in your account`, context));
  if (target.kind === 'board') refuse(new FrameError('UNSUPPORTED_TARGET', 'boards do not take WebRTC signaling', context));
  if (target.id === session.endpointId) refuse(new FrameError('UNSUPPORTED_TARGET', 'a connection cannot signal itself', context));
  const sent = await ctx.backplane.deliver(target.id, signalFrame(frame.signal, session.endpointId, session.deviceId, frame.payload, ctx.clock.now()), true);
  if (!sent) refuse(new FrameError('TARGET_OFFLINE', `Endpoint ${target.id} is not connected`, context));
  session.peer.send(deliveredAckFrame(frame.signal, target.id, target.deviceId, frame.id));
  record(ctx, { userId: session.userId, kind: 'signal', fromEndpoint: session.endpointId, toEndpoint: target.id, status: 'delivered', meta });
}
