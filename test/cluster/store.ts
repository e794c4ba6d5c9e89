/**
 * The database the cluster's instances share. Until the PostgreSQL store exists this is one
 * SQLite file on this host (WAL lets processes of one machine share it); the PostgreSQL store
 * replaces it for instances on several hosts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export interface ClusterStore {
  env: Record<string, string>;
  destroy(): Promise<void>;
}

export async function clusterStoreEnv(dir: string): Promise<ClusterStore> {
  return {
    env: { DATABASE_FILE: join(dir, 'relay.db') },
    async destroy() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
