/**
 * A complete in-memory platform: virtual time, RAM store, recorded sockets. Used by the firmware
 * unit tests and available to the simulator. Randomness comes from a seeded generator, so it is
 * reproducible and NOT suitable for real keys.
 */
import { createReferenceCrypto, type CryptoBackend } from '../../../shared/index';
import type { Clock, Logger, LogLevel, Platform, RandomSource } from '../types';
import { MemoryNetwork } from './network';
import { MemoryProber } from './probe';
import { MemoryStore } from './store';
import { MemoryTcp } from './tcp';
import { ManualTimers } from './timers';
import { MemoryUdp } from './udp';
import { MemoryWebSocket } from './websocket';

export { ManualTimers, MemoryNetwork, MemoryProber, MemoryStore, MemoryTcp, MemoryUdp, MemoryWebSocket };
export { MemoryPeer } from './tcp';
export { MemoryRelayConnection } from './websocket';

/** xorshift32: deterministic bytes for tests. */
export class SeededRandom implements RandomSource {
  constructor(private state = 0x9e3779b9) {}
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      let x = this.state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.state = x >>> 0;
      out[i] = this.state & 0xff;
    }
    return out;
  }
}

export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; message: string }> = [];
  log(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}`).join('\n');
  }
}

export interface MemoryPlatform extends Platform {
  tcp: MemoryTcp;
  udp: MemoryUdp;
  probe: MemoryProber;
  websocket: MemoryWebSocket;
  timers: ManualTimers;
  store: MemoryStore;
  network: MemoryNetwork;
  logger: MemoryLogger;
  clock: Clock & { wallSeconds: number | undefined };
  restarts: number;
}

export interface MemoryPlatformOptions {
  store?: MemoryStore;
  random?: RandomSource;
  crypto?: CryptoBackend;
  chipId?: number;
}

export function createMemoryPlatform(options: MemoryPlatformOptions = {}): MemoryPlatform {
  const timers = new ManualTimers();
  const random = options.random ?? new SeededRandom();
  const clock = {
    wallSeconds: undefined as number | undefined,
    uptimeMs: () => timers.now,
    nowSeconds(): number | undefined {
      return this.wallSeconds === undefined ? undefined : this.wallSeconds + Math.floor(timers.now / 1000);
    },
  };
  const platform: MemoryPlatform = {
    tcp: new MemoryTcp(),
    udp: new MemoryUdp(),
    probe: new MemoryProber(timers),
    websocket: new MemoryWebSocket(),
    timers,
    store: options.store ?? new MemoryStore(),
    network: new MemoryNetwork(timers, options.chipId),
    clock,
    random,
    system: { restart: () => { platform.restarts++; } },
    logger: new MemoryLogger(),
    crypto: options.crypto ?? createReferenceCrypto((n) => random.bytes(n)),
    restarts: 0,
  };
  return platform;
}
