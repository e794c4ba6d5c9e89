import { WebSocket } from 'ws';
import type { Handshake } from './handshake';

const emit = WebSocket.prototype.emit;

/**
 * The relay's server-side socket (`ws`'s `WebSocket` option): the per-connection state the relay
 * needs lives in fields of the socket itself, and every socket shares the same listener functions
 * (`this` is the socket). Tens of thousands of idle sockets then keep no closure, context,
 * WeakSet entry or extra object each (issue 17: memory per idle socket).
 */
export class RelaySocket extends WebSocket {
  /** Ponged since the heartbeat's last ping (heartbeat.ts); a new socket counts as alive. */
  alive = true;
  /** Its handshake, then its authenticated life (handshake.ts); undefined for claim sockets. */
  connection: Handshake | undefined = undefined;

  /**
   * A pong marks the socket alive here rather than through a `pong` listener: a fourth event name
   * in the socket's listener table grows that table (a dictionary) by about 100 B per socket.
   * Every event still reaches its listeners, unchanged (`arguments` passed through as they are).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean;
  override emit(event: string | symbol): boolean {
    if (event === 'pong') this.alive = true;
    return emit.apply(this, arguments as unknown as [string | symbol, ...unknown[]]);
  }
}
