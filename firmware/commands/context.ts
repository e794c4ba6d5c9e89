/** What command handlers may see and do; implemented by device.ts, faked in tests. */
import type { Target } from '../../shared/index';
import type { CloudStatus, WifiMode } from '../platform/types';
import type { ProbeQueue } from '../targets/probe-queue';
import type { ScheduleStore } from '../targets/schedule-store';
import type { TargetStore } from '../targets/target-store';
import type { WakeWatcher } from '../targets/watcher';
import type { UsageCounter } from '../usage-counter';

export interface NetworkSnapshot {
  ip: string;
  ssid: string;
  rssi: number;
  mode: WifiMode;
  freeHeap: number;
}

/** Named targets, their confirmation and status, and schedules. */
export interface TargetService {
  readonly store: TargetStore;
  readonly schedules: ScheduleStore;
  readonly watcher: WakeWatcher;
  readonly probes: ProbeQueue;
  /** One magic packet to a stored target (to its broadcast address when it has one); throws when the send fails. */
  wakeTarget(target: Target): void;
  /** True once the wall clock is known (schedules run only then). */
  clockSet(): boolean;
}

export interface CommandContext {
  readonly deviceId: string;
  readonly counter: UsageCounter;
  readonly targets: TargetService;
  /**
   * Runs `action` in a later turn (cancelled by stop). Commands that read flash do their work
   * there rather than at the bottom of the request's deep call chain (the ESP8266 stack is 288 slots).
   */
  soon(action: () => void): void;
  network(): NetworkSnapshot;
  webEnabled(): boolean;
  /** Persists the flag and starts/stops the setup page at once. */
  setWebEnabled(enabled: boolean): void;
  cloudEnabled(): boolean;
  /** Persists the flag; enabling (re)starts the link when possible. Disabling only persists: see `stopCloud`. */
  setCloudEnabled(enabled: boolean): void;
  cloudStatus(): CloudStatus;
  /** Closes the cloud link; runs after the reply has been sent (B6). */
  stopCloud(): void;
  /** Sends one magic packet; throws when the UDP send fails. */
  sendWake(mac: Uint8Array, secureOn?: Uint8Array): void;
  startOtaWindow(): void;
  /** SSID and address the setup access point will use. */
  setupAccessPoint(): { ssid: string; ip: string };
  /** Switches to setup mode; runs after the reply has been sent (B6). */
  enterSetupMode(): void;
  /** Reboots after a short delay that lets the reply leave the device. */
  restartSoon(): void;
  /** A fresh 96-character token (not yet stored). */
  generateToken(): string;
  /** Stores the new token, resets the counter, restarts. Runs after the reply has been sent. */
  commitToken(token: string): void;
}

export interface CommandOutcome {
  /** Inner reply without `request_id` (added by the packet handler). */
  reply: { [key: string]: unknown };
  /** Side effect to run once the reply has been handed to the transport. */
  after?: () => void;
  /**
   * The reply waits for something (probes): instead of `reply`, it is handed to `answer` once,
   * later. The transport keeps the request open meanwhile (bounded by PENDING_REPLY_MAX_MS).
   */
  defer?: (answer: (reply: { [key: string]: unknown }) => void) => void;
}
