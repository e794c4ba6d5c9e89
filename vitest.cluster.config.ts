/**
 * `npm run test:cluster` (issue 15): several relay instances on a real redis-server (and
 * PostgreSQL), started by the suites on free loopback ports with temp data directories. Not part
 * of `npm test`, which needs nothing but Node.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // Each file runs its own Redis, database and three relays: one file at a time on 2 cores.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
