/** One boot's worth of Node adapters behind the firmware's platform seam. */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { KeyValueStore, Platform } from '../../firmware/platform/types';
import { nodeCrypto } from '../../node/crypto';
import type { Profile } from '../args';
import type { HostPort } from '../loopback';
import type { SerialConsole } from './logger';
import { createSimulatedNetwork, SIMULATED_FREE_HEAP } from './network';
import { createNodeProber } from './probe';
import { BootResources } from './resources';
import { createNodeTcp } from './tcp';
import { createNodeTimers } from './timers';
import { createNodeUdp } from './udp';
import { createNodeWebSocket } from './websocket';

export interface NodePlatformOptions {
  chipId: number;
  profile: Profile;
  wolTarget: HostPort;
  store: KeyValueStore;
  console: SerialConsole;
  prebound: Map<number, net.Server>;
  /** The logic asked for a reboot (deferred by the caller, never run inside the logic's own call). */
  onRestart: () => void;
  /** A failure the device cannot recover from in the simulator (e.g. its LAN port cannot be bound). */
  onFatal: (error: Error) => void;
}

export interface NodeBoot {
  platform: Platform;
  resources: BootResources;
  uptimeMs(): number;
}

export function createNodePlatform(options: NodePlatformOptions): NodeBoot {
  const resources = new BootResources();
  const bootStart = performance.now();
  const uptimeMs = (): number => Math.floor(performance.now() - bootStart);
  const onError = (error: unknown): void => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    options.console.line('error', `platform: callback threw ${text}`);
  };
  const platform: Platform = {
    tcp: createNodeTcp({
      resources,
      onError,
      prebound: options.prebound,
      onListenError: (port, error) => options.onFatal(new Error(`cannot listen on 127.0.0.1:${port}: ${error.message}`)),
    }),
    udp: createNodeUdp({ resources, wolTarget: options.wolTarget, onError, log: (level, message) => options.console.line(level, message) }),
    probe: createNodeProber({ resources, log: (level, message) => options.console.line(level, message) }),
    websocket: createNodeWebSocket({ resources, onError, log: (message) => options.console.line('warn', message) }),
    timers: createNodeTimers(resources, onError),
    store: options.store,
    network: createSimulatedNetwork({ chipId: options.chipId, freeHeap: SIMULATED_FREE_HEAP[options.profile], resources }),
    clock: { uptimeMs, nowSeconds: () => Math.floor(Date.now() / 1000) },
    random: { bytes: (length) => new Uint8Array(randomBytes(length)) },
    system: { restart: () => options.onRestart() },
    logger: options.console.logger(),
    crypto: nodeCrypto,
  };
  return { platform, resources, uptimeMs };
}
