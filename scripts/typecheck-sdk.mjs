// `npm run typecheck:sdk`: type-checks firmware/ (and the shared/ it imports) against the
// installed Moddable SDK's own typings ($MODDABLE/typings and the XS globals), the way mcconfig's
// compile sees it, with our ambient additions (firmware/platform/moddable/types/sdk-extra.d.ts).
// `npm run typecheck` does the same against @moddable/typings from npm, for CI without an SDK.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const sdk = process.env.MODDABLE;
if (!sdk || !existsSync(path.join(sdk, 'typings'))) {
  process.stderr.write('typecheck:sdk: needs the Moddable SDK: set $MODDABLE to its directory (the one holding typings/)\n');
  process.exit(1);
}
const at = (...parts) => path.join(repo, ...parts);
const dir = mkdtempSync(path.join(tmpdir(), 'wl-typecheck-sdk-'));
const config = path.join(dir, 'tsconfig.json');
writeFileSync(config, JSON.stringify({
  extends: at('tsconfig.base.json'),
  compilerOptions: {
    lib: ['es2025'],
    noEmit: true,
    types: [path.join(sdk, 'xs/includes/xs'), path.join(sdk, 'typings/global'), at('firmware/platform/moddable/types/sdk-extra')],
    paths: {
      'wakelink/host': [at('firmware/platform/moddable/host/lin')],
      '*': [path.join(sdk, 'typings/*')],
    },
  },
  include: [at('firmware/**/*.ts'), at('shared/**/*.ts')],
  // The npm typings' stand-in for the SDK's crypt.d.ts would clash with the real one.
  exclude: [at('firmware/platform/moddable/types/npm-typings-extra.d.ts')],
}, null, 2));
const result = spawnSync(process.execPath, [at('node_modules/typescript/bin/tsc'), '-p', config], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
if (result.status === 0) process.stdout.write(`typecheck:sdk: firmware/ type-checks against ${sdk}/typings\n`);
process.exit(result.status ?? 1);
