/**
 * What survives a simulated reboot: the preferences (flash) and the chip id (hardware). With
 * `--state <dir>` both live in files there; without it, in memory for the life of the process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chipIdFromDeviceId } from './args';
import { JsonFileStore, MemoryStore } from './node/store';

export const PREFERENCES_FILE = 'preferences.json';
export const HARDWARE_FILE = 'hardware.json';
/** Generated chip ids are 24-bit, like the ESP8266's. */
const GENERATED_CHIP_ID_BYTES = 3;

export interface DeviceState {
  store: MemoryStore;
  chipId: number;
  /** True when this run invented the chip id (no --device-id and nothing stored). */
  generatedChipId: boolean;
}

function readStoredChipId(dir: string): number | undefined {
  const file = path.join(dir, HARDWARE_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { chipId?: unknown };
  if (typeof parsed.chipId !== 'number' || !Number.isInteger(parsed.chipId) || parsed.chipId < 0 || parsed.chipId > 0xffffffff) {
    throw new Error(`${file}: chipId must be an unsigned 32-bit integer`);
  }
  return parsed.chipId;
}

export function openDeviceState(stateDir: string | undefined, deviceId: string | undefined): DeviceState {
  if (stateDir !== undefined) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const stored = stateDir === undefined ? undefined : readStoredChipId(stateDir);
  let chipId: number;
  let generatedChipId = false;
  if (deviceId !== undefined) {
    chipId = chipIdFromDeviceId(deviceId);
    if (stored !== undefined && stored !== chipId) {
      throw new Error(`--state ${stateDir} belongs to device WL${stored.toString(16).toUpperCase()}, not ${deviceId}; use another --state directory`);
    }
  } else if (stored !== undefined) {
    chipId = stored;
  } else {
    chipId = randomBytes(GENERATED_CHIP_ID_BYTES).readUIntBE(0, GENERATED_CHIP_ID_BYTES);
    generatedChipId = true;
  }
  if (stateDir !== undefined && stored === undefined) {
    writeFileSync(path.join(stateDir, HARDWARE_FILE), JSON.stringify({ chipId }) + '\n', { mode: 0o600 });
  }
  const store = stateDir === undefined ? new MemoryStore() : new JsonFileStore(path.join(stateDir, PREFERENCES_FILE));
  return { store, chipId, generatedChipId };
}
