/**
 * Wake schedules in the key-value store: slot `sc<n>` holds schedule n+1 as a small JSON array,
 * and `sl<n>` the minute (Unix minutes) it last ran, so a reboot within that minute does not run
 * it twice. Read when needed, not kept in RAM.
 */
import { ErrorCodes, ProtocolError, type Schedule } from '../../shared/index';
import type { KeyValueStore } from '../platform/types';
import { deleteStoredText, readStoredText, writeStoredText } from '../stored-text';

const slotKey = (slot: number): string => 'sc' + slot;
const lastKey = (slot: number): string => 'sl' + slot;

export class ScheduleStore {
  constructor(private readonly store: KeyValueStore, readonly max: number) {}

  list(): Schedule[] {
    const out: Schedule[] = [];
    for (let slot = 0; slot < this.max; slot++) {
      const schedule = this.read(slot);
      if (schedule) out.push(schedule);
    }
    return out;
  }

  /** Saves `schedule` under its id, or under the first free id when it is 0; returns the id. */
  set(schedule: Schedule): number {
    let slot = schedule.id > 0 ? schedule.id - 1 : -1;
    if (slot >= this.max) throw new ProtocolError(ErrorCodes.SCHEDULE_NOT_FOUND, `schedule ids are 1..${this.max} on this board`);
    if (slot < 0) {
      for (let free = 0; free < this.max && slot < 0; free++) if (this.read(free) === undefined) slot = free;
    }
    if (slot < 0) throw new ProtocolError(ErrorCodes.SCHEDULES_FULL, `this board stores at most ${this.max} schedules`);
    writeStoredText(this.store, slotKey(slot), JSON.stringify([schedule.target, schedule.minute, schedule.days, schedule.utcOffset]));
    return slot + 1;
  }

  delete(id: number): boolean {
    const slot = id - 1;
    if (slot < 0 || slot >= this.max || this.read(slot) === undefined) return false;
    deleteStoredText(this.store, slotKey(slot));
    this.store.delete(lastKey(slot));
    return true;
  }

  erase(): void {
    for (let slot = 0; slot < this.max; slot++) {
      deleteStoredText(this.store, slotKey(slot));
      this.store.delete(lastKey(slot));
    }
  }

  lastRun(id: number): number {
    return Number(this.store.get(lastKey(id - 1))) || 0;
  }

  markRun(id: number, unixMinute: number): void {
    this.store.set(lastKey(id - 1), String(unixMinute));
  }

  private read(slot: number): Schedule | undefined {
    const text = readStoredText(this.store, slotKey(slot));
    if (text === undefined) return undefined;
    try {
      const [target, minute, days, utcOffset] = JSON.parse(text) as [string, number, number, number];
      return typeof target === 'string' ? { id: slot + 1, target, minute, days, utcOffset } : undefined;
    } catch {
      return undefined;
    }
  }
}
