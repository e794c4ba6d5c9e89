/**
 * Claiming a board with a code (issue 14): a board that has neither its own device credential
 * nor an account API token connects to the relay's claim socket, `…/ws/claim/{device_id}`, and
 * is sent a 6-digit code, which it shows on its serial console and setup page. When the owner
 * enters the code (dashboard or `wakelink claim CODE`), the relay binds the board to the account
 * and sends its credential on that socket; the board stores it and reconnects as itself. The
 * account token never goes onto the board.
 *
 * Frames, relay → board:
 *   {"type":"claim_code","code":"482913","expires_in_seconds":600}
 *   {"type":"credential","credential":"<secret>"}
 * And on the device socket, when the owner revoked the credential:
 *   {"status":"error","error":"CREDENTIAL_REVOKED"}  (the board forgets it and claims again)
 */
import type { RelayEndpoint } from './url';

export const CREDENTIAL_MAX_CHARS = 128;
export const CREDENTIAL_REVOKED = 'CREDENTIAL_REVOKED';

export type ClaimFrame =
  | { kind: 'code'; code: string; expiresInSeconds: number }
  | { kind: 'credential'; credential: string };

/** The claim socket of a device endpoint: the device id's segment becomes `claim/{device_id}`. */
export function claimEndpoint(endpoint: RelayEndpoint, deviceId: string): RelayEndpoint {
  const at = endpoint.path.lastIndexOf(deviceId);
  const path = endpoint.path.slice(0, at) + 'claim/' + endpoint.path.slice(at);
  return { ...endpoint, path, url: `${endpoint.secure ? 'wss' : 'ws'}://${endpoint.host}:${endpoint.port}${path}` };
}

/** A frame of the claim socket, checked; anything else is undefined (and ignored). */
export function parseClaimFrame(text: string): ClaimFrame | undefined {
  let frame: { type?: unknown; code?: unknown; expires_in_seconds?: unknown; credential?: unknown };
  try {
    frame = JSON.parse(text) as typeof frame;
  } catch {
    return undefined;
  }
  if (frame === null || typeof frame !== 'object') return undefined;
  if (frame.type === 'claim_code' && typeof frame.code === 'string' && /^\d{6}$/.test(frame.code)) {
    const seconds = typeof frame.expires_in_seconds === 'number' && frame.expires_in_seconds > 0 ? Math.floor(frame.expires_in_seconds) : 600;
    return { kind: 'code', code: frame.code, expiresInSeconds: seconds };
  }
  if (frame.type === 'credential' && typeof frame.credential === 'string'
    && frame.credential.length >= 16 && frame.credential.length <= CREDENTIAL_MAX_CHARS && /^[\x21-\x7e]+$/.test(frame.credential)) {
    return { kind: 'credential', credential: frame.credential };
  }
  return undefined;
}
