import { isDeviceId } from '../../shared/index';
import type { Principal } from '../auth/auth-service';
import { RelayError, closeCodeFor } from '../errors';
import { isConnectionEndpointId, isEndpointId, isUuid, newEndpointId } from '../ids';
import type { RelayService } from '../relay/relay-service';
import type { EndpointKind, EndpointRecord, NewEndpoint, PublicKeyType, Store } from '../store/types';
import type { Clock } from '../time';
import type { Backplane } from './backplane';
import { checkPublicKey } from './public-keys';

/** An endpoint a frame or request named, already checked to be the caller's. */
export interface ResolvedEndpoint {
  id: string;
  userId: number;
  kind: EndpointKind;
  deviceId: string | null;
  name: string;
  ephemeral: boolean;
}

export interface EndpointView {
  id: string;
  kind: EndpointKind;
  name: string;
  uuid: string | null;
  device_id: string | null;
  public_key: { type: PublicKeyType; key: string } | null;
  created_at: string;
  last_seen: string | null;
  online: boolean;
  ephemeral: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Endpoints of an account (issue 13): registration, listing with presence, rename, delete, and the
 * one resolution rule every frame and request uses. Another account's endpoint resolves to null,
 * exactly like a missing one.
 */
export class EndpointDirectory {
  constructor(
    private readonly store: Store,
    private readonly backplane: Backplane,
    private readonly relay: RelayService,
    private readonly clock: Clock,
    private readonly endpointsPerAccount: number,
  ) {}

  /** An endpoint id (ep_…), a connection's endpoint id (ec_…), a device id (WL…) or an endpoint uuid of the caller's account. */
  async resolve(userId: number, ref: string): Promise<ResolvedEndpoint | null> {
    if (isConnectionEndpointId(ref)) {
      const live = await this.backplane.connectionInfo(ref);
      if (!live || live.userId !== userId || !live.ephemeral) return null;
      return { id: ref, userId, kind: live.kind, deviceId: null, name: live.name, ephemeral: true };
    }
    const lower = ref.toLowerCase();
    const found = isEndpointId(ref) ? this.store.findEndpoint(ref)
      : isDeviceId(ref) ? this.store.findEndpointByDevice(ref)
        : isUuid(lower) ? this.store.findEndpointByUuid(userId, lower) : undefined;
    if (!found || found.userId !== userId) return null;
    return { id: found.id, userId, kind: found.kind, deviceId: found.deviceId, name: found.name, ephemeral: false };
  }

  async resolveOrThrow(userId: number, ref: string): Promise<ResolvedEndpoint> {
    const found = await this.resolve(userId, ref);
    if (!found) throw new RelayError('ENDPOINT_NOT_FOUND', `No endpoint ${ref} in your account`);
    return found;
  }

  /** A registered (non-board) endpoint the client socket `/ws/client/{id}` names, by id or uuid; else null (connection-scoped). */
  registeredForSocket(userId: number, clientId: string): EndpointRecord | null {
    const found = isEndpointId(clientId) ? this.store.findEndpoint(clientId) : isUuid(clientId) ? this.store.findEndpointByUuid(userId, clientId.toLowerCase()) : undefined;
    return found && found.userId === userId && found.kind !== 'board' ? found : null;
  }

  register(principal: Principal, body: { kind: EndpointKind; name: string; uuid?: string; public_key?: { type: string; key: string }; device_id?: string }, deviceLimit: number): EndpointRecord {
    const name = body.name.trim();
    if (body.kind === 'board') {
      if (body.device_id === undefined || !isDeviceId(body.device_id)) throw new RelayError('BAD_REQUEST', 'a board needs its device_id ("WL" + the chip id in upper-case hex)');
      if (body.uuid !== undefined || body.public_key !== undefined) throw new RelayError('BAD_REQUEST', 'a board takes only device_id and name');
      const outcome = this.store.registerDevice(principal.userId, body.device_id, name, deviceLimit, this.clock.now());
      if (outcome === 'taken') throw new RelayError('DEVICE_TAKEN');
      if (outcome === 'limit') throw new RelayError('DEVICE_LIMIT', `Device limit: maximum ${deviceLimit}`);
      return this.store.findEndpointByDevice(body.device_id)!;
    }
    if (body.device_id !== undefined) throw new RelayError('BAD_REQUEST', 'only boards have a device_id');
    const endpoint: NewEndpoint = {
      kind: body.kind, name, uuid: body.uuid?.toLowerCase() ?? null, publicKey: body.public_key ? checkPublicKey(body.public_key) : null,
    };
    const outcome = this.store.createEndpoint(principal.userId, endpoint, newEndpointId(), this.clock.now(), this.endpointsPerAccount);
    if (!outcome.ok) {
      if (outcome.reason === 'uuid_taken') throw new RelayError('UUID_TAKEN');
      throw new RelayError('ENDPOINT_LIMIT', `At most ${this.endpointsPerAccount} endpoints besides boards (ENDPOINTS_PER_ACCOUNT)`);
    }
    return outcome.endpoint;
  }

  /** Registered endpoints with presence, then the connection-scoped ones connected now. */
  async list(userId: number): Promise<EndpointView[]> {
    const online = await this.backplane.online(userId);
    const registered = this.store.listEndpoints(userId).map((e) => this.view(e, online.registered.has(e.id)));
    const now = iso(this.clock.now());
    const ephemeral = online.ephemeral.map((e): EndpointView => ({
      id: e.endpointId, kind: e.kind, name: e.name, uuid: null, device_id: null, public_key: null, created_at: iso(e.connectedAt)!, last_seen: now,
      online: true, ephemeral: true,
    }));
    return [...registered, ...ephemeral];
  }

  async get(userId: number, ref: string): Promise<EndpointView> {
    const resolved = await this.resolveOrThrow(userId, ref);
    return (await this.list(userId)).find((view) => view.id === resolved.id)!;
  }

  async update(userId: number, ref: string, change: { name?: string; public_key?: { type: string; key: string } | null }): Promise<EndpointView> {
    const resolved = await this.resolveOrThrow(userId, ref);
    if (resolved.ephemeral) throw new RelayError('UNSUPPORTED_TARGET', 'A connection-scoped endpoint cannot be changed; register one');
    if (resolved.kind === 'board' && change.public_key !== undefined) throw new RelayError('BAD_REQUEST', 'boards have no public key (their packets are sealed with the device token)');
    const publicKey = change.public_key === undefined ? undefined : change.public_key === null ? null : checkPublicKey(change.public_key);
    if (!this.store.updateEndpoint(userId, resolved.id, { name: change.name?.trim(), publicKey })) throw new RelayError('ENDPOINT_NOT_FOUND');
    return this.get(userId, resolved.id);
  }

  /** Boards are deleted as devices (queue, socket); other endpoints with their mailbox, and their socket is closed 4004. */
  async delete(principal: Principal, ref: string): Promise<string> {
    const resolved = await this.resolveOrThrow(principal.userId, ref);
    if (resolved.ephemeral) throw new RelayError('UNSUPPORTED_TARGET', 'A connection-scoped endpoint ends when its socket closes');
    if (resolved.deviceId !== null) {
      this.relay.deleteDevice(principal, resolved.deviceId);
      return resolved.id;
    }
    if (!this.store.deleteEndpoint(principal.userId, resolved.id)) throw new RelayError('ENDPOINT_NOT_FOUND');
    this.backplane.closeEndpoint(resolved.id, closeCodeFor('ENDPOINT_DELETED'), 'endpoint deleted');
    return resolved.id;
  }

  view(e: EndpointRecord, online: boolean): EndpointView {
    return {
      id: e.id, kind: e.kind, name: e.name, uuid: e.uuid, device_id: e.deviceId, public_key: e.publicKey, created_at: iso(e.createdAt)!,
      last_seen: iso(e.lastSeenAt), online, ephemeral: false,
    };
  }
}
