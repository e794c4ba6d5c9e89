/**
 * One competitor of the queue-drain test: a relay's PostgreSQL store in its own process, doing
 * what an instance does when it flushes a board's queue (pendingFor claims, markDelivered, then
 * the board's answers delete the rows), as fast as it can, until the queue stays empty.
 * Prints the ids it delivered, as JSON, on its last line.
 */
import { createPostgresStore } from '../../../server/store/postgres/postgres-store';

const [url, node, deviceId, idleMsRaw] = process.argv.slice(2) as [string, string, string, string];
const idleMs = Number(idleMsRaw);
const store = createPostgresStore({ url, node, queryTimeoutMs: 5000, connectTimeoutMs: 2000, claimLeaseMs: 60_000 });
const delivered: number[] = [];
const seen = new Set<number>();
process.stdout.write('ready\n');
let idleSince = Date.now();
let sawAny = false;
for (;;) {
  const now = Date.now();
  const fresh = store.pendingFor(deviceId, now).filter((row) => !seen.has(row.id));
  if (fresh.length > 0) {
    sawAny = true;
    idleSince = now;
    for (const row of fresh) {
      seen.add(row.id);
      delivered.push(row.id);
    }
    store.markDelivered(fresh.map((row) => row.id), now);
    store.forget(fresh.map((row) => row.id));
  } else if (sawAny && now - idleSince > idleMs) {
    break;
  }
  // Let the group-committed deletes run, as the event loop of a relay would.
  await new Promise((resolve) => setImmediate(resolve));
}
await store.close();
process.stdout.write(`${JSON.stringify(delivered)}\n`);
