import type { JsonObject } from '../../shared/index';
import type { SealedRequest } from '../exchange';

/** Shown on stderr while a transport waits (only on a TTY; see progress.ts). */
export interface Progress {
  start(message: string): void;
  stop(): void;
}

export interface ExchangeOptions {
  deviceName: string;
  request: SealedRequest;
  /** Whole-exchange budget: connect, send and wait for the reply. */
  timeoutMs: number;
  progress: Progress;
}

export interface DeviceReply {
  inner: JsonObject;
  /** The outer `request_counter` the device reported, if any (informational, unauthenticated). */
  requestCounter: unknown;
  /** Human description of the path, e.g. "tcp 127.0.0.1:99". */
  via: string;
}
