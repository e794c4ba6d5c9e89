// `npm run test:moddable`: the HIL suite on the real Moddable lin build. Needs an installed SDK
// ($MODDABLE with its Linux tools built); without one it says so in one line and fails, so a
// missing SDK never looks like a pass. Not part of `npm test`, which has no SDK to assume.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const sdk = process.env.MODDABLE;
if (!sdk || !existsSync(path.join(sdk, 'build/bin/lin/release/mcconfig'))) {
  process.stderr.write(sdk
    ? `test:moddable: $MODDABLE=${sdk} has no built Linux tools (build/bin/lin/release/mcconfig); build them per the SDK's Getting Started (Linux)\n`
    : 'test:moddable: needs the Moddable SDK: install it per its Getting Started (Linux) and set $MODDABLE\n');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'vitest.moddable.config.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
