/**
 * The database the cluster's instances share: PostgreSQL (DATABASE_URL), started on a free
 * loopback port with a temp data directory. WAKELINK_CLUSTER_STORE=sqlite runs the same suites on
 * one SQLite file shared by processes of this host instead (a single-host deployment).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PostgresServer } from './harness';

export interface ClusterStore {
  env: Record<string, string>;
  postgres: PostgresServer | null;
  destroy(): Promise<void>;
}

export async function clusterStoreEnv(dir: string): Promise<ClusterStore> {
  if (process.env.WAKELINK_CLUSTER_STORE === 'sqlite') {
    return {
      env: { DATABASE_FILE: join(dir, 'relay.db') },
      postgres: null,
      async destroy() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const postgres = await PostgresServer.start();
  return {
    // DATABASE_FILE still names the data directory (the generated secret would go there; tests set SECRET_KEY).
    env: { DATABASE_URL: postgres.url, DATABASE_FILE: join(dir, 'unused.db') },
    postgres,
    async destroy() {
      await postgres.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
