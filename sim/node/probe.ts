/**
 * Probes for the simulated board: a real TCP connect, to loopback only (the simulator never
 * touches the LAN; the tests stand a listener on 127.0.0.1 in for the computer). Connected or
 * refused counts as up, as on the board; silence until the timeout, or no route, as down.
 */
import net from 'node:net';
import type { Probe, ProbeState, TcpProber } from '../../firmware/platform/types';
import { isLoopbackHost } from '../loopback';
import type { BootResources } from './resources';

export interface NodeProbeOptions {
  resources: BootResources;
  log: (level: 'info' | 'warn', message: string) => void;
}

export function createNodeProber(options: NodeProbeOptions): TcpProber {
  return {
    probe(host, port, timeoutMs, done): Probe {
      let settled = false;
      let socket: net.Socket | undefined;
      let untrack = (): void => undefined;
      const settle = (state: ProbeState): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.destroy();
        untrack();
        done(state);
      };
      const timer = setTimeout(() => settle('down'), Math.max(1, timeoutMs));
      if (!isLoopbackHost(host)) {
        options.log('warn', `probe of ${host}:${port} refused: the simulator only probes loopback addresses`);
        clearTimeout(timer);
        setImmediate(() => settle('down'));
      } else {
        socket = net.connect({ host, port });
        untrack = options.resources.track(() => {
          settled = true;
          clearTimeout(timer);
          socket?.destroy();
        });
        socket.once('connect', () => settle('up'));
        socket.once('error', (error: NodeJS.ErrnoException) => settle(error.code === 'ECONNREFUSED' ? 'up' : 'down'));
      }
      return {
        cancel: () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          socket?.destroy();
          untrack();
        },
      };
    },
  };
}
