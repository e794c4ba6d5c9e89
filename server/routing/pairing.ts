/**
 * Pairing two endpoints of one account (issue 14). An endpoint asks for a code and becomes the
 * host; another endpoint of the account confirms the code and becomes its client. From then on a
 * `command` without `to` from the client goes to its host, and the host's events reach its clients
 * without a subscription. A client has at most one host (a new pairing replaces the old one); a
 * host has any number of clients. Codes are guarded by OneTimeCodes (auth/one-time-codes.ts).
 *
 * Several instances (issue 15): pairings are in the shared store; the codes are in the memory of
 * the instance that issued them, reserved cluster-wide (PairingCluster), so a code asked for on
 * one instance is confirmed on any other, and a change to a host's clients is told to every
 * instance's client cache.
 */
import { randomBytes } from 'node:crypto';
import type { Reservation } from '../auth/code-reservations';
import { OneTimeCodes, type OneTimeCodeBounds } from '../auth/one-time-codes';
import { RelayError } from '../errors';
import type { PairingRecord, Store } from '../store/types';
import type { Clock } from '../time';
import type { Backplane } from './backplane';
import type { EndpointDirectory, ResolvedEndpoint } from './endpoints';

export const PAIRING_ID_PATTERN = '^pr_[0-9a-f]{20}$';
const newPairingId = () => `pr_${randomBytes(10).toString('hex')}`;

export interface PairingLimits {
  pairingCodeTtlMs: number;
  pairingCodesPerAccount: number;
  pairingFailuresPerAccount: number;
  pairingFailuresPerAddress: number;
  pairingFailuresGlobal: number;
  pairingFailuresPerCode: number;
  historyMaxEntries: number;
}

/** Who asks or confirms: an endpoint of an account, from an address. */
export interface PairingParty {
  userId: number;
  endpoint: ResolvedEndpoint;
  address: string;
  via: 'ws' | 'http';
}

export interface PairingView {
  id: string;
  host_endpoint: string;
  host_device_id: string;
  client_endpoint: string;
  created_at: string;
}

export interface Paired {
  status: 'paired';
  pairing_id: string;
  /** The host's device id when it is a board, else its endpoint id (the name `to` would take). */
  host_device_id: string;
  host_endpoint: string;
  client_endpoint: string;
}

/** What a cluster adds (backplane/redis-codes.ts); absent on one instance. */
export interface PairingCluster {
  /** As CodeReservations.reserve, for the code of that account. */
  reserve(scope: string, code: string, ttlMs: number): Promise<Reservation>;
  /**
   * Takes the live code on the instance holding it (not for `clientEndpoint`'s own code): its host
   * endpoint id; null when no instance holds it; 'unreachable' when Redis or that instance does not answer.
   */
  takeElsewhere(scope: string, code: string, clientEndpoint: string): Promise<string | null | 'unreachable'>;
  /** The host's clients changed here: the other instances drop their cached list. */
  clientsChanged(hostEndpoint: string): void;
}

/** Live pairing codes in memory, at most (OneTimeCodes' codesTotal). */
export const PAIRING_CODES_TOTAL = 100_000;

/** Draws before a code is handed out unreserved (each held elsewhere: next to impossible). */
const MAX_DRAWS = 8;

/** Hosts whose client lists are kept in memory (every event of a connected endpoint asks). */
const CLIENT_CACHE_ENTRIES = 10_000;

export class Pairings {
  readonly codes: OneTimeCodes<string>;
  /**
   * Host endpoint → its clients, so publishing an event costs no query. Dropped on every change made
   * here; an endpoint deleted with its pairings (ON DELETE CASCADE) may linger in a list, harmless:
   * it has no connection to deliver to, and endpoint ids are never reused.
   */
  private readonly clientCache = new Map<string, string[]>();
  private cluster: PairingCluster | null = null;

  constructor(
    private readonly store: Store,
    private readonly endpoints: EndpointDirectory,
    private readonly backplane: Backplane,
    private readonly clock: Clock,
    private readonly limits: PairingLimits,
  ) {
    const bounds: OneTimeCodeBounds = {
      digits: 6, ttlMs: limits.pairingCodeTtlMs, codesPerScope: limits.pairingCodesPerAccount, codesTotal: PAIRING_CODES_TOTAL, windowMs: 60_000,
      failuresPerScope: limits.pairingFailuresPerAccount, failuresPerAddress: limits.pairingFailuresPerAddress,
      failuresGlobal: limits.pairingFailuresGlobal, failuresPerCode: limits.pairingFailuresPerCode, maxTrackedKeys: 10_000,
    };
    this.codes = new OneTimeCodes<string>(bounds, clock);
  }

  /** Several instances share codes and client caches. */
  joinCluster(cluster: PairingCluster): void {
    this.cluster = cluster;
  }

  /** Another instance changed the host's clients. */
  forgetClients(hostEndpoint: string): void {
    this.clientCache.delete(hostEndpoint);
  }

  /** A code for the asking endpoint, which becomes the host when another endpoint confirms it. */
  async requestCode(party: PairingParty): Promise<{ code: string; expires_in_seconds: number }> {
    this.assertPairable(party.endpoint);
    const scope = String(party.userId);
    let issued = this.codes.issue(scope, party.endpoint.id);
    // In a cluster the code is reserved first: no other instance holds the same live code of this account.
    for (let draw = 1; issued.ok && this.cluster && draw <= MAX_DRAWS; draw += 1) {
      // 'unavailable' (Redis away): the code is good on this instance only; reserved again once Redis is back.
      if ((await this.cluster.reserve(scope, issued.code, this.limits.pairingCodeTtlMs)) !== 'taken') break;
      this.codes.withdraw(scope, issued.code);
      issued = this.codes.issue(scope, party.endpoint.id);
    }
    if (!issued.ok) throw new RelayError('PAIRING_CODE_LIMIT');
    this.audit(party, 'code_issued', null, {});
    return { code: issued.code, expires_in_seconds: issued.expiresInSeconds };
  }

  /** Confirms a code of the same account from another endpoint: PAIRING_CODE_INVALID for every failure. */
  async confirm(party: PairingParty, code: string): Promise<Paired> {
    this.assertPairable(party.endpoint);
    const burnedBefore = this.codes.burned;
    const scope = String(party.userId);
    let hostId: string | null = null;
    let unreachable = false;
    if (this.codes.mayTry(scope, party.address, code)) {
      hostId = this.codes.take(scope, code, (host) => host !== party.endpoint.id);
      const elsewhere = hostId === null && this.cluster ? await this.cluster.takeElsewhere(scope, code, party.endpoint.id) : null;
      if (elsewhere === 'unreachable') unreachable = true;
      else if (elsewhere !== null) hostId = elsewhere;
    }
    if (hostId === null) {
      this.codes.fail(scope, party.address);
      // Only burns are audited: one row per wrong guess would let a guesser flush the account's history.
      if (this.codes.burned > burnedBefore) this.audit(party, 'code_burned', null, { codes: this.codes.burned - burnedBefore });
      // Redis or the code's instance away: a clear answer (the code may be right), counted like a wrong one all the same.
      if (unreachable) throw new RelayError('SERVICE_UNAVAILABLE', 'The relay cannot reach the instance holding that code now; try again in a moment');
      throw new RelayError('PAIRING_CODE_INVALID');
    }
    // The host may have been deleted while its code waited.
    const host = await this.endpoints.resolve(party.userId, hostId);
    if (!host) throw new RelayError('PAIRING_CODE_INVALID');
    const pairing: PairingRecord = { id: newPairingId(), userId: party.userId, hostEndpoint: host.id, clientEndpoint: party.endpoint.id, createdAt: this.clock.now() };
    const { replaced } = this.store.createPairing(pairing);
    this.changedClients(host.id);
    if (replaced) this.changedClients(replaced.hostEndpoint);
    this.audit(party, 'paired', host.id, { pairing_id: pairing.id, ...(replaced ? { replaced: replaced.id } : {}) });
    const paired: Paired = {
      status: 'paired', pairing_id: pairing.id, host_device_id: host.deviceId ?? host.id, host_endpoint: host.id, client_endpoint: party.endpoint.id,
    };
    // The host hears it if it is connected (registered endpoints speak the routing protocol).
    void this.backplane.deliver(host.id, JSON.stringify({ type: 'paired', ...paired }), true).catch(() => false);
    return paired;
  }

  /** The client's host endpoint id, or null. */
  hostOf(clientEndpoint: string): string | null {
    return this.store.pairingOfClient(clientEndpoint)?.hostEndpoint ?? null;
  }

  clientsOf(hostEndpoint: string): readonly string[] {
    const cached = this.clientCache.get(hostEndpoint);
    if (cached) return cached;
    const clients = this.store.pairingsOfHost(hostEndpoint).map((pairing) => pairing.clientEndpoint);
    if (this.clientCache.size >= CLIENT_CACHE_ENTRIES) this.clientCache.delete(this.clientCache.keys().next().value as string);
    this.clientCache.set(hostEndpoint, clients);
    return clients;
  }

  list(userId: number): PairingView[] {
    const boards = new Map<string, string>();
    for (const endpoint of this.store.listEndpoints(userId)) if (endpoint.deviceId !== null) boards.set(endpoint.id, endpoint.deviceId);
    return this.store.listPairings(userId).map((p) => ({
      id: p.id, host_endpoint: p.hostEndpoint, host_device_id: boards.get(p.hostEndpoint) ?? p.hostEndpoint, client_endpoint: p.clientEndpoint,
      created_at: new Date(p.createdAt).toISOString(),
    }));
  }

  remove(userId: number, id: string, address: string, via: 'ws' | 'http'): void {
    const pairing = this.store.findPairing(id);
    if (!pairing || pairing.userId !== userId || !this.store.deletePairing(userId, id)) throw new RelayError('PAIRING_NOT_FOUND');
    this.changedClients(pairing.hostEndpoint);
    this.record(userId, pairing.clientEndpoint, pairing.hostEndpoint, 'unpaired', { pairing_id: id, via, address });
  }

  private changedClients(hostEndpoint: string): void {
    this.clientCache.delete(hostEndpoint);
    this.cluster?.clientsChanged(hostEndpoint);
  }

  private assertPairable(endpoint: ResolvedEndpoint): void {
    if (endpoint.ephemeral) throw new RelayError('PAIRING_NEEDS_ENDPOINT');
  }

  private audit(party: PairingParty, status: string, to: string | null, meta: Record<string, unknown>): void {
    this.record(party.userId, party.endpoint.id, to, status, { ...meta, via: party.via, address: party.address });
  }

  private record(userId: number, from: string | null, to: string | null, status: string, meta: Record<string, unknown>): void {
    try {
      this.store.recordHistory({ userId, at: this.clock.now(), kind: 'pairing', fromEndpoint: from, toEndpoint: to, status, meta }, this.limits.historyMaxEntries);
    } catch {
      // Bookkeeping: never fails the pairing it records.
    }
  }
}
