// `npm start`: runs the relay as plain JavaScript (dist/relay/main.mjs, built by scripts/build.mjs
// at `npm ci`), in this same process, so the signals npm forwards reach the relay directly. It
// rebuilds first only when a source file changed since the last build.
import { ensureBuilt } from './build.mjs';

let entry;
try {
  entry = await ensureBuilt('relay');
} catch (error) {
  process.stderr.write(`wakelink relay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
await import(entry);
