/**
 * `npm run test:moddable`: the hardware-in-the-loop suite on the real Moddable lin build (every
 * case of test/hil that runs the firmware, on the `moddable` engine), plus the fault cases. The
 * image is built once, before any worker starts (test/moddable/build-image.ts).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/hil/**/*.test.ts'],
    // The adapter probe swaps in its own firmware, which only the Node and xsnap engines can load.
    exclude: ['test/hil/bridge.test.ts'],
    env: { WAKELINK_HIL_ENGINES: 'moddable' },
    globalSetup: ['test/moddable/build-image.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
