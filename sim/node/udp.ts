import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { UdpFactory, UdpSocket } from '../../firmware/platform/types';
import { isLoopbackAddress, type HostPort } from '../loopback';
import type { BootResources } from './resources';

export interface NodeUdpOptions {
  resources: BootResources;
  /** The one destination magic packets may go to: the `--wol` capture socket on loopback. */
  wolTarget: HostPort;
  onError: (error: unknown) => void;
  /** Console line for each datagram sent or refused (what a logic analyser on the board would show). */
  log: (level: 'info' | 'warn', message: string) => void;
}

/** Thrown synchronously (the seam's "immediate failure") for any destination but the capture socket. */
export class RefusedDestinationError extends Error {
  constructor(address: string, port: number, target: HostPort) {
    super(`refused to send UDP to ${address}:${port}: the simulator only sends to the --wol capture socket ${target.host}:${target.port}`);
    this.name = 'RefusedDestinationError';
  }
}

function sameAddress(a: string, b: string): boolean {
  const strip = (s: string): string => (s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s).toLowerCase();
  return strip(a) === strip(b);
}

export function createNodeUdp(options: NodeUdpOptions): UdpFactory {
  if (!isLoopbackAddress(options.wolTarget.host)) throw new RangeError('the WoL target must be a loopback address');
  return {
    open(localPort?: number): UdpSocket {
      const target = options.wolTarget;
      const family = isIP(target.host.replace(/^\[|\]$/g, '')) === 6 ? 'udp6' : 'udp4';
      const socket = dgram.createSocket(family);
      socket.on('error', (error) => options.onError(error));
      if (localPort !== undefined && localPort > 0) socket.bind(localPort, family === 'udp6' ? '::1' : '127.0.0.1');
      let closed = false;
      let inFlight = 0;
      const release = (): void => {
        if (closed && inFlight === 0) socket.close();
      };
      // The seam's send is fire-and-forget and the logic closes right after it (one socket per
      // wake): dgram would drop a datagram still waiting for the implicit bind, so the real close
      // waits for sends in flight, like a board's UDP stack flushing its buffer.
      const close = (): void => {
        if (closed) return;
        closed = true;
        untrack();
        release();
      };
      const untrack = options.resources.track(close);
      return {
        send(data, address, port) {
          // Checked on every send, not only at start-up: stored settings could name another address.
          if (!isLoopbackAddress(address) || !sameAddress(address, target.host) || port !== target.port) {
            const refused = new RefusedDestinationError(address, port, target);
            options.log('warn', `udp: ${refused.message}`);
            throw refused;
          }
          options.log('info', `udp: ${data.length}-byte datagram to ${target.host}:${target.port}`);
          if (closed) throw new Error('UDP socket is closed');
          inFlight++;
          socket.send(Buffer.from(data), port, target.host.replace(/^\[|\]$/g, ''), (error) => {
            inFlight--;
            if (error) options.onError(error);
            release();
          });
        },
        close,
      };
    },
  };
}
