/** Boards have no host process to talk to: the control channel exists only in the lin build (lin.ts). */
import type { DeviceHandle, Logger } from '../../types';

export function attachHost(_device: DeviceHandle, _logger: Logger): void {}
