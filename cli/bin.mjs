#!/usr/bin/env node
// Runs the CLI as plain JavaScript (dist/cli/main.mjs, built by scripts/build.mjs at `npm ci`):
// no TypeScript loader, so it works in a production install. Rebuilt first only when a source
// file changed since the last build.
import { ensureBuilt } from '../scripts/build.mjs';

let entry;
try {
  entry = await ensureBuilt('cli');
} catch (error) {
  process.stderr.write(`wakelink: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
// Ctrl-C while waiting: clear the waiting indicator's line, exit like a shell-interrupted command.
process.once('SIGINT', () => {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  process.exit(130);
});
const { runCli } = await import(entry);
const code = await runCli(process.argv.slice(2));
// Exit once output is flushed, even if a prompt left stdin open.
process.stdout.write('', () => process.exit(code));
