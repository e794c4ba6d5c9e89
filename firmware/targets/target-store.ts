/**
 * Named targets in the key-value store, one slot each (`tg0`..), read when needed rather than
 * kept in RAM: the ESP8266's heap is budgeted at 20 KB for everything, and targets are used
 * rarely (a wake, a list, a status). Each slot holds the fields as a small JSON array.
 */
import { ErrorCodes, ProtocolError, type Target } from '../../shared/index';
import type { KeyValueStore } from '../platform/types';
import { deleteStoredText, readStoredText, writeStoredText } from '../stored-text';

const slotKey = (slot: number): string => 'tg' + slot;

function decode(text: string | undefined): Target | undefined {
  if (text === undefined) return undefined;
  try {
    const [name, mac, secureOn, host, port, broadcast, retries, waitSeconds] = JSON.parse(text) as [string, string, string, string, number, string, number, number];
    if (typeof name !== 'string' || typeof mac !== 'string') return undefined;
    return { name, mac, secureOn, host, port, broadcast, retries, waitSeconds };
  } catch {
    return undefined;
  }
}

function encode(target: Target): string {
  return JSON.stringify([target.name, target.mac, target.secureOn, target.host, target.port, target.broadcast, target.retries, target.waitSeconds]);
}

export class TargetStore {
  constructor(private readonly store: KeyValueStore, readonly max: number) {}

  /** Every target, in slot order. */
  list(): Target[] {
    const out: Target[] = [];
    for (let slot = 0; slot < this.max; slot++) {
      const target = this.read(slot);
      if (target) out.push(target);
    }
    return out;
  }

  get(name: string): Target | undefined {
    return this.find((target) => target.name === name)?.target;
  }

  /** The target a v1.0 `wake {mac}` addresses, if one is stored with that MAC. */
  byMac(mac: string): Target | undefined {
    return this.find((target) => target.mac === mac)?.target;
  }

  /** Replaces the target of the same name, or takes a free slot; TARGETS_FULL when none is left. */
  set(target: Target): void {
    let slot = this.find((stored) => stored.name === target.name)?.slot;
    if (slot === undefined) {
      for (let free = 0; free < this.max && slot === undefined; free++) if (this.read(free) === undefined) slot = free;
    }
    if (slot === undefined) throw new ProtocolError(ErrorCodes.TARGETS_FULL, `this board stores at most ${this.max} targets`);
    writeStoredText(this.store, slotKey(slot), encode(target));
  }

  delete(name: string): boolean {
    const found = this.find((target) => target.name === name);
    if (!found) return false;
    deleteStoredText(this.store, slotKey(found.slot));
    return true;
  }

  /** Factory reset. */
  erase(): void {
    for (let slot = 0; slot < this.max; slot++) deleteStoredText(this.store, slotKey(slot));
  }

  private read(slot: number): Target | undefined {
    return decode(readStoredText(this.store, slotKey(slot)));
  }

  private find(match: (target: Target) => boolean): { slot: number; target: Target } | undefined {
    for (let slot = 0; slot < this.max; slot++) {
      const target = this.read(slot);
      if (target && match(target)) return { slot, target };
    }
    return undefined;
  }
}
