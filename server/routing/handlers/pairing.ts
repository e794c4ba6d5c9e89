/**
 * Pairing frames (issue 14): `pair_request` makes this socket's endpoint a host and answers with a
 * code; `pair_confirm` with that code, from another endpoint of the account, pairs them.
 */
import { RelayError } from '../../errors';
import { FrameError } from '../codec-rules';
import type { RoutingContext } from '../context';
import type { Session } from '../session';

const correlated = (id: string | undefined) => (id === undefined ? {} : { id });

function party(session: Session) {
  return {
    userId: session.userId, address: session.address, via: 'ws' as const,
    endpoint: { id: session.endpointId, userId: session.userId, kind: session.kind, deviceId: session.deviceId, name: session.name, ephemeral: session.ephemeral },
  };
}

/** Refusals name the frame's correlation id, like every routed error. */
async function answering(id: string | undefined, work: () => unknown): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof RelayError && !(error instanceof FrameError)) throw new FrameError(error.code, error.detail, correlated(id));
    throw error;
  }
}

export function handlePairRequest(ctx: RoutingContext, session: Session, frame: { id: string | undefined }): Promise<void> {
  return answering(frame.id, async () => {
    const issued = await ctx.pairings.requestCode(party(session));
    session.peer.send(JSON.stringify({ type: 'pair_code', ...correlated(frame.id), ...issued }));
  });
}

export function handlePairConfirm(ctx: RoutingContext, session: Session, frame: { id: string | undefined; code: string }): Promise<void> {
  return answering(frame.id, async () => {
    const paired = await ctx.pairings.confirm(party(session), frame.code);
    session.peer.send(JSON.stringify({ type: 'paired', ...correlated(frame.id), ...paired }));
  });
}
