/**
 * Commands to boards, the one path for all of them (issue 13): v1.0 packets on a client socket and
 * over HTTP push (queued when the board is offline, v1.0's behaviour), routing-protocol `command`
 * frames (live only: an offline board is `target_offline` at once), and boards' replies. Each
 * command is written to the history: who sent what to which board, when, from where, and what the
 * relay did with it (the payload stays sealed; the audit keeps its size and signature prefix).
 */
import type { Principal } from '../../auth/auth-service';
import { ERROR_TABLE, RelayError, closeCodeFor, wsErrorFrame } from '../../errors';
import type { HttpRequester } from '../../hub/types';
import type { RelayPacket } from '../../relay/packets';
import type { SubmitResult } from '../../relay/relay-service';
import { record, origin, type RoutingContext } from '../context';
import { FrameError } from '../codec-rules';
import { deliveredAckFrame } from '../frames';
import type { Session } from '../session';

/** Audit metadata of one command packet: never its payload. */
function packetMeta(packet: RelayPacket): Record<string, unknown> {
  return { device_id: packet.deviceId, bytes: packet.payload.length / 2, packet_ref: packet.signature.slice(0, 16).toLowerCase() };
}

/** The board endpoint a command reached (the device socket's, else its row; only after ownership was checked). */
function boardEndpoint(ctx: RoutingContext, deviceId: string): string | null {
  return ctx.backplane.localBoard(deviceId)?.endpointId ?? ctx.store.findEndpointByDevice(deviceId)?.id ?? null;
}

function recordCommand(ctx: RoutingContext, userId: number, from: string | null, packet: RelayPacket, outcome: SubmitResult | RelayError, meta: Record<string, unknown>): void {
  const refused = outcome instanceof RelayError;
  // Assigned onto the packet's metadata rather than spread into a new object: one audit entry per
  // routed command, on the hot path (issue 17).
  record(ctx, {
    userId, kind: 'command', fromEndpoint: from, toEndpoint: refused ? null : outcome.boardEndpoint ?? boardEndpoint(ctx, packet.deviceId),
    status: refused ? outcome.wire : outcome.delivered ? 'delivered' : 'queued', meta: Object.assign(packetMeta(packet), meta),
  });
}

/** A v1.0 packet's audit metadata beyond the packet's: where it came from (a fresh object). */
function v1Origin(session: Session): Record<string, unknown> {
  const meta = origin(session);
  meta.format = 'v1.0';
  return meta;
}

/**
 * v1.0's ACK of a packet on a client socket, the bytes JSON.stringify gives for
 * `{status, device_id, delivered, queued, message}`; written out because it is sent for every
 * command (issue 17). Only the device ID is a variable string.
 */
export function v1AckText(deviceId: string, result: Pick<SubmitResult, 'delivered' | 'queued'>): string {
  const message = result.delivered ? 'Delivered to device' : 'Device offline, queued';
  return `{"status":"success","device_id":${JSON.stringify(deviceId)},"delivered":${result.delivered},"queued":${result.queued},"message":"${message}"}`;
}

/** A v1.0 packet on a client socket: v1.0's ACK, then the bare reply packet, in either order. */
export function clientPacket(ctx: RoutingContext, session: Session, packet: RelayPacket): void {
  ctx.relay.submitCommand(session.principal, packet, { kind: 'ws', client: session.peer }).then(
    (result) => {
      session.peer.send(v1AckText(packet.deviceId, result));
      recordCommand(ctx, session.userId, session.endpointId, packet, result, v1Origin(session));
    },
    (error: unknown) => {
      if (!(error instanceof RelayError)) ctx.log.error({ err: error, endpoint: session.endpointId }, 'client frame failed');
      // Through the peer, so a client that floods bad frames but never reads stays bounded (F7).
      session.peer.send(error instanceof RelayError ? wsErrorFrame(error.wire, error.detail) : wsErrorFrame('INTERNAL', 'Internal error'));
      if (error instanceof RelayError) recordCommand(ctx, session.userId, session.endpointId, packet, error, v1Origin(session));
    },
  );
}

/** A v1.0 HTTP push: the same core as the socket path. */
export async function httpPush(ctx: RoutingContext, principal: Principal, packet: RelayPacket, requester: HttpRequester): Promise<SubmitResult> {
  const meta = { via: 'http', address: requester.address, ...(requester.clientId === null ? {} : { client_id: requester.clientId }), format: 'v1.0' };
  try {
    const result = await ctx.relay.submitCommand(principal, packet, { kind: 'http', requester });
    recordCommand(ctx, principal.userId, null, packet, result, meta);
    return result;
  } catch (error) {
    if (error instanceof RelayError) recordCommand(ctx, principal.userId, null, packet, error, meta);
    throw error;
  }
}

/**
 * `{"type":"command","to":…,"packet":…}`: to a board of the caller's account, live only. The
 * reply comes back as a `response` frame naming the board.
 */
export async function commandFrame(ctx: RoutingContext, session: Session, frame: { id: string | undefined; to: string | null; packet: RelayPacket }): Promise<void> {
  const correlation = frame.id === undefined ? {} : { id: frame.id };
  const meta = { ...origin(session), format: 'command', ...(frame.to === null ? { paired: true } : {}) };
  // Without `to`: the sender's paired host (issue 14).
  const to = frame.to ?? (session.ephemeral ? null : ctx.pairings.hostOf(session.endpointId));
  if (to === null) {
    const refused = new FrameError('NO_PAIRED_HOST', ERROR_TABLE.NO_PAIRED_HOST.message, correlation);
    recordCommand(ctx, session.userId, session.endpointId, frame.packet, refused, meta);
    throw refused;
  }
  const context = { ...correlation, to };
  try {
    const target = await ctx.endpoints.resolve(session.userId, to);
    // With the frame's id, like every other refusal here: a client with several commands in flight tells which one.
    if (!target) throw new FrameError('ENDPOINT_NOT_FOUND', `No endpoint ${to} in your account`, context);
    if (target.deviceId === null) throw new FrameError('UNSUPPORTED_TARGET', 'commands go to boards; send other endpoints a `message`', context);
    if (frame.packet.deviceId !== target.deviceId) throw new FrameError('INVALID_FRAME', `\`packet.device_id\` must be the board's device id ${target.deviceId}`, context);
    let result: SubmitResult;
    try {
      result = await ctx.relay.submitCommand(session.principal, frame.packet, { kind: 'ws', client: session.peer, routed: { from: target.id, id: frame.id } }, true);
    } catch (error) {
      if (error instanceof RelayError && error.code === 'TARGET_OFFLINE') throw new FrameError('TARGET_OFFLINE', `Board ${target.id} (${target.deviceId}) is not connected`, context);
      throw error;
    }
    session.peer.send(deliveredAckFrame('command', target.id, target.deviceId, frame.id));
    recordCommand(ctx, session.userId, session.endpointId, frame.packet, result, meta);
  } catch (error) {
    if (error instanceof RelayError) recordCommand(ctx, session.userId, session.endpointId, frame.packet, error, meta);
    throw error;
  }
}

/** A packet from a board socket: the reply to the oldest command in flight on it (F4, F14). */
export function boardPacket(ctx: RoutingContext, session: Session, packet: RelayPacket): void {
  const deviceId = session.deviceId!;
  if (packet.deviceId !== deviceId) {
    session.peer.send(wsErrorFrame('DEVICE_ID_MISMATCH', 'Packet device_id does not match this connection'));
    session.peer.close(closeCodeFor('DEVICE_ID_MISMATCH'), 'device id mismatch');
    return;
  }
  // Deleting the device closes this socket at once (RelayService.deleteDevice), so an open socket
  // still belongs to its owner; only frames arriving while it closes are checked again.
  if (!session.peer.isOpen()) {
    const current = ctx.store.findDevice(deviceId);
    if (!current || current.userId !== session.userId) return;
  }
  const route = ctx.relay.handleDeviceResponse({ deviceId, userId: session.userId }, packet, session.peer.id);
  if (route === 'unsolicited') ctx.log.debug({ event: 'ws_device_unsolicited', deviceId }, 'device reply with no command in flight');
  else if (route === 'held') ctx.log.warn({ event: 'ws_device_reply_held', deviceId }, 'database refused a device reply; held in memory for the next pull');
}
