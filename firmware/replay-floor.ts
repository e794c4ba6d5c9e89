/**
 * Replay memory that survives a reboot (catalogue F13). The nonce/request-id ring of the
 * FreshnessGuard lives in RAM, so after a reboot a captured packet would pass again. The device
 * therefore persists the highest client timestamp it accepted, write-then-act, before any command
 * that changes state; at boot that value becomes the guard's floor for state-changing commands.
 * Read-only commands (ping, info, ...) neither write flash nor meet the floor: replaying them after
 * a reboot changes nothing, and a client that pings right after a reboot is not refused.
 */
import { COMMAND_NAMES, isPlausibleUnixSeconds } from '../shared/index';
import { FRESHNESS_WINDOW_SECONDS } from './constants';
import type { KeyValueStore } from './platform/types';

export const REPLAY_FLOOR_KEY = 'ts_floor';

// Ours too: listing targets or schedules, probing status and asking for a wake's outcome change nothing.
const READ_ONLY_COMMANDS: readonly string[] = Object.freeze(['ping', 'info', 'crypto_info', 'counter_info', 'targets_list', 'schedules_list', 'status', 'wake_result']);

export function isReadOnlyCommand(inner: { command?: unknown; data?: unknown }): boolean {
  if (typeof inner.command !== 'string') return true; // refused later without acting
  if (READ_ONLY_COMMANDS.includes(inner.command)) return true;
  if (!(COMMAND_NAMES as readonly string[]).includes(inner.command)) return true; // UNKNOWN_COMMAND, nothing runs
  const data = inner.data as { action?: unknown } | null | undefined;
  return (inner.command === 'web_control' || inner.command === 'cloud_control') && data?.action === 'status';
}

export class ReplayFloor {
  private stored: number | undefined;

  constructor(private readonly store: KeyValueStore) {
    const value = Number(store.get(REPLAY_FLOOR_KEY));
    this.stored = isPlausibleUnixSeconds(value) ? value : undefined;
  }

  /** The floor for this boot's FreshnessGuard. */
  get floor(): number | undefined {
    return this.stored;
  }

  /**
   * Persists `highest` if it moved: one small flash write per state-changing command at most.
   * With a trusted clock (`nowSeconds`) nothing above now + window is ever stored, and a stored
   * floor above that (written before SNTP from a client clock far ahead) is replaced, not kept.
   */
  record(highest: number | undefined, nowSeconds?: number): void {
    const limit = nowSeconds === undefined ? undefined : nowSeconds + FRESHNESS_WINDOW_SECONDS;
    if (limit !== undefined && highest !== undefined && highest > limit) highest = limit;
    const storedIsBogus = limit !== undefined && this.stored !== undefined && this.stored > limit;
    if (highest === undefined) {
      if (storedIsBogus) this.erase();
      return;
    }
    if (!storedIsBogus && this.stored !== undefined && highest <= this.stored) return;
    this.stored = highest;
    this.store.set(REPLAY_FLOOR_KEY, String(highest));
  }

  /** Factory reset: a blank device starts without history. */
  erase(): void {
    this.stored = undefined;
    this.store.delete(REPLAY_FLOOR_KEY);
  }
}
