import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { closeCodeFor } from '../errors';
import type { ClaimCodes, ClaimHolder } from './codes';

export interface ClaimSocketBounds {
  /** The socket is closed (4008) after this long unclaimed. */
  timeoutMs: number;
  /** Frames the board may send (it needs none); one more closes the socket 1008. */
  maxFrames: number;
}

/** Relay → board on the claim socket (firmware/cloud/claim.ts). */
export const claimCodeFrame = (code: string, expiresInSeconds: number) => JSON.stringify({ type: 'claim_code', code, expires_in_seconds: expiresInSeconds });
export const credentialFrame = (credential: string) => JSON.stringify({ type: 'credential', credential });

/** A claim socket: holds one live code at a time; claiming hands the credential over and closes it. */
export class ClaimSocket implements ClaimHolder {
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly deadline: NodeJS.Timeout;
  private frames = 0;

  constructor(
    readonly deviceId: string,
    readonly address: string,
    private readonly ws: WebSocket,
    private readonly codes: ClaimCodes,
    private readonly bounds: ClaimSocketBounds,
    private readonly now: () => number,
    private readonly log: FastifyBaseLogger,
    private readonly onEnd: (socket: ClaimSocket) => void,
  ) {
    ws.on('close', () => this.ended());
    ws.on('message', () => {
      this.frames += 1;
      if (this.frames > bounds.maxFrames) ws.close(closeCodeFor('RATE_LIMITED'), 'the claim socket takes no frames');
    });
    this.deadline = setTimeout(() => ws.close(closeCodeFor('CLAIM_TIMEOUT'), 'claim timeout'), bounds.timeoutMs);
    codes.renew(this);
    log.info({ event: 'claim_socket_open', deviceId, ip: address }, 'board waiting to be claimed');
  }

  /** Sends the code (never logged: whoever reads the logs could claim the board). */
  codeChanged(code: string, expiresAt: number): void {
    clearTimeout(this.expiryTimer);
    const remainingMs = Math.max(1000, expiresAt - this.now());
    this.ws.send(claimCodeFrame(code, Math.round(remainingMs / 1000)));
    // An expired code is replaced while the socket stays (the relay clock decides validity; this only refreshes the board's copy).
    this.expiryTimer = setTimeout(() => this.codes.renew(this), remainingMs);
  }

  /** Claimed: the code is used up, the board gets its credential, the socket closes. */
  deliver(credential: string): void {
    this.codes.take(this);
    this.ws.send(credentialFrame(credential));
    this.ws.close(1000, 'claimed');
    this.stopTimers();
  }

  /** Another socket of the same board was claimed. */
  dismiss(): void {
    this.ws.close(1000, 'claimed on another connection');
  }

  private stopTimers(): void {
    clearTimeout(this.expiryTimer);
    clearTimeout(this.deadline);
  }

  private ended(): void {
    this.stopTimers();
    this.codes.remove(this);
    this.onEnd(this);
  }
}
