import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster tier needs redis-server and PostgreSQL: npm run test:cluster (vitest.cluster.config.ts).
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers and child processes; two workers match the 2-core machines here.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
