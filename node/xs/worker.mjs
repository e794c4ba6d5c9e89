// Starts one xsnap worker (a real XS engine). Importing this module locks down the whole process
// (@endo/init), so only dedicated child processes import it: node/xs/xs-child.mjs and
// sim/xs/bridge-child.mjs, never a test runner, the relay or the simulator itself.
import '@endo/init/debug.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { xsnap } from '@agoric/xsnap';

// xsnap only needs temp names for snapshots, which we never take.
const tmpName = (_options, callback) => callback(null, path.join(os.tmpdir(), `xsnap-${process.pid}-${Date.now()}`));

/**
 * @param {{ name: string, handleCommand: (message: Uint8Array) => Promise<Uint8Array> }} options
 * No crank computation limit (meteringLimit 0): a simulated device runs as long as it likes, and
 * the million-byte SHA-256 vector alone exceeds xsnap's default.
 */
export function startXsWorker({ name, handleCommand }) {
  return xsnap({
    name,
    os: os.type(),
    spawn,
    fs: { ...fs, ...fs.promises, tmpName },
    stderr: 'inherit',
    stdout: 'inherit',
    meteringLimit: 0,
    handleCommand,
  });
}
