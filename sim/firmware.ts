/** The firmware the simulator runs by default: the real entry point, unchanged. */
import { fileURLToPath } from 'node:url';
import { startDevice } from '../firmware/device';
import type { FirmwareSource } from './engines';

export const REAL_FIRMWARE: FirmwareSource = {
  startDevice,
  module: fileURLToPath(new URL('../firmware/device.ts', import.meta.url)),
};
