/**
 * What the two reference servers (raw-relay.ts, json-relay.ts) share: their paths, their frame
 * bound and the v1.0 ACK our relay sends for a delivered command, byte for byte (ws-pairs.ts checks
 * every ACK any of the three servers sends against this text).
 */

/** Same incoming frame bound as the relay, so no server can be flooded differently. */
export const PAIR_MAX_PAYLOAD_BYTES = 64 * 1024;

const PATH = /^\/pair\/(\d{1,6})\/(device|client)(?:\?device_id=([A-Za-z0-9_-]{1,64}))?$/;

export interface PairTarget {
  id: string;
  side: 'device' | 'client';
  /** The device a client lane talks to (its ACKs name it); null on device sockets. */
  deviceId: string | null;
}

export function pairOf(url: string | undefined): PairTarget | null {
  const match = PATH.exec(url ?? '');
  if (!match) return null;
  return { id: match[1]!, side: match[2] as 'device' | 'client', deviceId: match[3] ?? null };
}

/** The relay's ACK for a command delivered to an online device (server/routing/handlers/commands.ts), built the same way. */
export function deliveredAck(deviceId: string): string {
  return JSON.stringify({ status: 'success', device_id: deviceId, delivered: true, queued: false, message: 'Delivered to device' });
}
