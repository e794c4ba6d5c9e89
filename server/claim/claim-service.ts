import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/auth-service';
import { RelayError } from '../errors';
import type { Store } from '../store/types';
import type { Clock } from '../time';
import { AttemptBudget } from './attempt-budget';
import { ClaimSocket } from './claim-socket';
import { CLAIM_CODE_DIGITS, ClaimCodes } from './codes';
import { issueDeviceCredential, type DeviceCredentials } from './device-credentials';

export interface ClaimBounds {
  codeTtlMs: number;
  socketTimeoutMs: number;
  socketsPerIp: number;
  socketsTotal: number;
  socketFrames: number;
  attemptsPerAccount: number;
  attemptsPerIp: number;
  attemptsPerMinute: number;
  codeMaxFailures: number;
}

/** A claim as the instance holding the code's socket runs it (the code's own instance, or another one's, issue 15). */
export interface ClaimRequest {
  userId: number;
  /** Normalised: 6 digits. */
  code: string;
  name: string;
  ip: string;
  deviceLimit: number;
}

/**
 * Several instances (issue 15): the instance holding the code's claim socket, asked to claim it.
 * null: no instance holds that code; 'unreachable': Redis, or the holder, does not answer in time.
 * A refusal there (DEVICE_TAKEN, DEVICE_LIMIT) is thrown here as the same RelayError.
 */
export type RemoteClaim = (request: ClaimRequest) => Promise<ClaimResult | null | 'unreachable'>;

export interface ClaimResult {
  deviceId: string;
  name: string;
  endpointId: string;
  /** False when the board was already the account's (a re-claim: its old credential is revoked). */
  created: boolean;
  credentialPrefix: string;
}

/**
 * Claiming a board with a code (issue 14): the claim sockets of boards without a credential, their
 * codes, and the owner's claim. Every failure of a code (wrong, expired, used, burned, malformed)
 * is the same INVALID_CLAIM_CODE; attempts are bounded per account, per address and relay-wide
 * per minute before any code is looked at, and per code by burning (codes.ts).
 */
export class ClaimService {
  readonly codes: ClaimCodes;
  private readonly sockets = new Set<ClaimSocket>();
  private readonly perIp = new Map<string, number>();
  private readonly accountBudget: AttemptBudget;
  private readonly ipBudget: AttemptBudget;
  private readonly globalBudget: AttemptBudget;
  private remote: RemoteClaim | null = null;

  constructor(
    private readonly store: Store,
    private readonly credentials: DeviceCredentials,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    private readonly bounds: ClaimBounds,
  ) {
    this.codes = new ClaimCodes({ ttlMs: bounds.codeTtlMs, maxFailures: bounds.codeMaxFailures }, clock);
    this.accountBudget = new AttemptBudget(bounds.attemptsPerAccount, clock);
    this.ipBudget = new AttemptBudget(bounds.attemptsPerIp, clock);
    this.globalBudget = new AttemptBudget(bounds.attemptsPerMinute, clock);
  }

  /** Whether one more claim socket from `ip` fits (checked before the upgrade completes). */
  admits(ip: string): 'ok' | 'TOO_MANY_CONNECTIONS' | 'SERVICE_UNAVAILABLE' {
    if (this.sockets.size >= this.bounds.socketsTotal) return 'SERVICE_UNAVAILABLE';
    if ((this.perIp.get(ip) ?? 0) >= this.bounds.socketsPerIp) return 'TOO_MANY_CONNECTIONS';
    return 'ok';
  }

  /** `/ws/claim/{device_id}`, upgraded: the board gets its code now. */
  open(ws: WebSocket, deviceId: string, ip: string): void {
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    const socket = new ClaimSocket(deviceId, ip, ws, this.codes, { timeoutMs: this.bounds.socketTimeoutMs, maxFrames: this.bounds.socketFrames },
      () => this.clock.now(), this.log, (ended) => this.ended(ended));
    this.sockets.add(socket);
  }

  openSockets(): number {
    return this.sockets.size;
  }

  /** Live codes at most: one per claim socket. */
  maxLiveCodes(): number {
    return this.bounds.socketsTotal;
  }

  /** The attempt budgets, by name, for sharing among instances (issue 15). */
  budgets(): Record<string, AttemptBudget> {
    return { claim_account: this.accountBudget, claim_ip: this.ipBudget, claim_relay: this.globalBudget };
  }

  /** Several instances: a code not held here is looked for on the others. */
  claimElsewhere(remote: RemoteClaim): void {
    this.remote = remote;
  }

  /**
   * The owner enters the code their board shows. The budgets are counted here, where the claim is
   * entered, and every claim that claims nothing is one wrong claim for every live code everywhere.
   */
  async claim(principal: Principal, rawCode: string, name: string, ip: string, deviceLimit: number): Promise<ClaimResult> {
    const waitMs = Math.max(this.accountBudget.retryAfterMs(String(principal.userId)), this.ipBudget.retryAfterMs(ip), this.globalBudget.retryAfterMs('relay'));
    if (waitMs > 0) throw new RelayError('TOO_MANY_ATTEMPTS', undefined, Math.ceil(waitMs / 1000));
    this.accountBudget.record(String(principal.userId));
    this.ipBudget.record(ip);
    this.globalBudget.record('relay');
    // People type "482 913" or "482-913".
    const code = rawCode.replace(/[\s-]/g, '');
    const wellFormed = new RegExp(`^\\d{${CLAIM_CODE_DIGITS}}$`).test(code);
    const request: ClaimRequest = { userId: principal.userId, code, name, ip, deviceLimit };
    const found = (wellFormed ? this.claimHere(request) : null) ?? (wellFormed && this.remote ? await this.remote(request) : null);
    if (found !== null && found !== 'unreachable') return found;
    this.codes.recordFailure();
    this.log.info({ event: 'claim_failed', userId: principal.userId, ip, ...(found === 'unreachable' ? { unreachable: true } : {}) }, 'claim with an invalid code');
    // Redis or the code's instance away: a clear answer (the code may be right), counted like a wrong one all the same.
    if (found === 'unreachable') throw new RelayError('SERVICE_UNAVAILABLE', 'The relay cannot reach the instance holding that code now; try again in a moment');
    throw new RelayError('INVALID_CLAIM_CODE');
  }

  /**
   * The claim, if this instance holds the code's socket: the credential is made and handed to the
   * board here and never leaves this instance. null when no socket here has that live code.
   */
  claimHere(request: ClaimRequest): ClaimResult | null {
    const { userId, code, name, ip, deviceLimit } = request;
    const holder = this.codes.find(code);
    const socket = holder instanceof ClaimSocket && this.sockets.has(holder) ? holder : undefined;
    if (!socket) return null;
    const principal = { userId };
    const credential = issueDeviceCredential();
    const outcome = this.store.claimDevice(principal.userId, socket.deviceId, name, deviceLimit, credential, this.clock.now());
    // A right code for a board the account cannot take leaves the code live: its owner may fix that and retry.
    if (outcome === 'taken') throw new RelayError('DEVICE_TAKEN');
    if (outcome === 'limit') throw new RelayError('DEVICE_LIMIT', `Device limit: maximum ${deviceLimit}`);
    // A re-claim replaces the credential: whatever still uses the old one is cut off.
    this.credentials.closeSockets(socket.deviceId);
    socket.deliver(credential.plain);
    for (const other of this.sockets) if (other !== socket && other.deviceId === socket.deviceId) other.dismiss();
    const device = this.store.findDevice(socket.deviceId);
    this.credentials.recordChange(principal.userId, socket.deviceId, outcome === 'created' ? 'claimed' : 'reclaimed', ip, credential.prefix);
    this.log.info({ event: 'device_claimed', userId: principal.userId, deviceId: socket.deviceId, ip, outcome }, 'board claimed');
    return {
      deviceId: socket.deviceId, name: device?.name ?? name, endpointId: device?.endpointId ?? '', created: outcome === 'created', credentialPrefix: credential.prefix,
    };
  }

  private ended(socket: ClaimSocket): void {
    this.sockets.delete(socket);
    const left = (this.perIp.get(socket.address) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(socket.address);
    else this.perIp.set(socket.address, left);
  }
}
