#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader: no build step, same as the rest of the repo.
import { register } from 'tsx/esm/api';

register();
// Ctrl-C while waiting: clear the waiting indicator's line, exit like a shell-interrupted command.
process.once('SIGINT', () => {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  process.exit(130);
});
const { runCli } = await import('./main.ts');
const code = await runCli(process.argv.slice(2));
// Exit once output is flushed, even if a prompt left stdin open.
process.stdout.write('', () => process.exit(code));
