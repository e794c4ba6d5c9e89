import type { FastifyRequest } from 'fastify';
import type { HttpRequester } from '../hub/types';
import { LIMITS } from '../limits';

/** Small ids for keep-alive connections; a WeakMap, so a closed socket is not kept alive by its id. */
const connectionIds = new WeakMap<object, number>();
let connectionCount = 0;

/**
 * Who is pushing or pulling. Behind a trusted proxy (the address came from X-Forwarded-For) the
 * TCP connection is the proxy's and may be shared by many clients, so only the address counts.
 */
export function requesterOf(request: FastifyRequest, clientId: unknown): HttpRequester {
  const socket = request.raw.socket;
  let connection = connectionIds.get(socket);
  if (connection === undefined) connectionIds.set(socket, (connection = ++connectionCount));
  const direct = request.ip === socket.remoteAddress;
  const id = typeof clientId === 'string' && clientId !== '' && clientId.length <= LIMITS.clientIdMaxLength ? clientId : null;
  return { address: request.ip, connection: direct ? connection : null, clientId: id };
}

/**
 * The reply (or fate) of `owner`'s command belongs to `puller`: same `client_id`, or same address
 * and same keep-alive connection (both null behind a proxy: same address).
 */
export function isOwn(owner: HttpRequester | null, puller: HttpRequester): boolean {
  if (owner === null) return false;
  if (owner.clientId !== null && owner.clientId === puller.clientId) return true;
  return owner.address === puller.address && owner.connection === puller.connection;
}

/** Same client address: the fallback for a client that pulls on another connection than it pushed on. */
export function sameAddress(owner: HttpRequester | null, puller: HttpRequester): boolean {
  return owner !== null && owner.address === puller.address;
}
