/** The simulator's --help names exactly the files `--state` really writes (run as a user runs it). */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimProcess } from './helpers/sim-process';
import { tempDir } from './helpers/temp';
import { closedPort } from './helpers/closed-port';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('sim --help and --state', () => {
  it('the files --help names under <dir> are the files a first boot leaves there', async () => {
    const help = execFileSync(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    const stateLine = help.split('\n').find((line) => line.trimStart().startsWith('--state'));
    expect(stateLine, help).toBeDefined();
    const named = [...stateLine!.matchAll(/<dir>\/([\w.-]+)/g)].map((match) => match[1]).sort();
    expect(named.length).toBeGreaterThan(0);

    const dir = join(tempDir('wl-sim-state-'), 'state');
    // Magic packets would go to a closed loopback port; nothing is woken here.
    const sim = await startSimProcess(['--state', dir, '--wol', `127.0.0.1:${await closedPort()}`]);
    try {
      await sim.waitFor(/ready on port \d+/);
    } finally {
      await sim.stop();
    }
    expect(readdirSync(dir).sort()).toEqual(named);
  });
});
