/**
 * Long strings in a store whose values are limited to 63 characters (ESP8266 preferences).
 * A value is split into chunks under one of two slots, and a one-character pointer names the live
 * slot: a new value is written to the idle slot first and the pointer flipped last, so a power cut
 * mid-write leaves the old value readable instead of a mix of both.
 */
import type { KeyValueStore } from './platform/types';

export const STORE_VALUE_MAX_CHARS = 63;
/** Longest value this helper accepts: 8 chunks of 63 characters. */
export const STORED_TEXT_MAX_CHARS = STORE_VALUE_MAX_CHARS * 8;

type Slot = 'a' | 'b';

function slotOf(store: KeyValueStore, base: string): Slot | undefined {
  const slot = store.get(base);
  return slot === 'a' || slot === 'b' ? slot : undefined;
}

export function readStoredText(store: KeyValueStore, base: string): string | undefined {
  const slot = slotOf(store, base);
  if (slot === undefined) return undefined;
  const count = Number(store.get(base + slot + 'n'));
  if (!Number.isInteger(count) || count < 0 || count * STORE_VALUE_MAX_CHARS > STORED_TEXT_MAX_CHARS) return undefined;
  let text = '';
  for (let i = 0; i < count; i++) {
    const chunk = store.get(base + slot + i);
    if (chunk === undefined) return undefined;
    text += chunk;
  }
  return text;
}

export function writeStoredText(store: KeyValueStore, base: string, text: string): void {
  if (text.length > STORED_TEXT_MAX_CHARS) throw new RangeError(`value for "${base}" longer than ${STORED_TEXT_MAX_CHARS} characters`);
  const next: Slot = slotOf(store, base) === 'a' ? 'b' : 'a';
  const count = Math.ceil(text.length / STORE_VALUE_MAX_CHARS);
  for (let i = 0; i < count; i++) store.set(base + next + i, text.slice(i * STORE_VALUE_MAX_CHARS, (i + 1) * STORE_VALUE_MAX_CHARS));
  store.set(base + next + 'n', String(count));
  store.set(base, next);
  const stale: Slot = next === 'a' ? 'b' : 'a';
  removeSlot(store, base, stale);
}

function removeSlot(store: KeyValueStore, base: string, slot: Slot): void {
  const count = Number(store.get(base + slot + 'n'));
  store.delete(base + slot + 'n');
  if (!Number.isInteger(count)) return;
  for (let i = 0; i < count && i < 8; i++) store.delete(base + slot + i);
}

export function deleteStoredText(store: KeyValueStore, base: string): void {
  removeSlot(store, base, 'a');
  removeSlot(store, base, 'b');
  store.delete(base);
}
