/**
 * `npm run sim` as a user runs it: a separate process, first boot without --token/--device-id
 * (generated and printed once), LAN ping and wake with what it printed, Ctrl-C/SIGTERM, then a
 * second run on the same --state (no banner, same identity). Both engines. Plus the
 * network-safety refusals of the command line, which do not depend on the engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { lanCommand, V1Client } from './helpers/client';
import { captureWol, ENGINES, expectedMagicPacket, tempStateDir } from './helpers/device';

const ROOT = new URL('../../', import.meta.url).pathname;

interface SimProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

/** Same command as the package.json "sim" script (`tsx sim/main.ts`), without npm's wrapper. */
function runSim(args: string[]): SimProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: Array<() => void> = [];
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    for (const wake of waiters.splice(0)) wake();
    resolve(code);
  }));
  return {
    child,
    exited,
    output: () => text,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(text);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in sim output:\n${text}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/** The "ready" line is printed just before the listener is requested (on XS, one bridge hop later): retry briefly. */
async function pingWhenListening(port: number, client: V1Client) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await lanCommand(port, client, 'ping');
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('npm run sim', () => {
  const running: SimProcess[] = [];
  afterAll(() => {
    for (const sim of running) if (sim.child.exitCode === null) sim.child.kill('SIGKILL');
  });

  it('is the package.json "sim" script', () => {
    const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.sim).toBe('tsx sim/main.ts');
  });

  it.each(ENGINES)('first boot prints a generated identity once, serves LAN and wakes, survives a restart (%s)', async (engine) => {
    const state = tempStateDir();
    const wol = await captureWol();
    try {
      const args = ['--lan-port', '0', '--wol', `127.0.0.1:${wol.port}`, '--state', state.dir, '--engine', engine];
      const first = runSim(args);
      running.push(first);
      const deviceId = (await first.waitFor(/PROVISION device_id=(WL[0-9A-F]+)/))[1]!;
      const token = (await first.waitFor(/PROVISION device_token=([A-Za-z0-9]{96})/))[1]!;
      const port = Number((await first.waitFor(/LAN 127\.0\.0\.1:(\d+)/))[1]);
      await first.waitFor(/ready on port/);
      expect(first.output()).toContain(`engine ${engine}`);
      const client = new V1Client(deviceId, token);
      expect((await pingWhenListening(port, client)).reply).toMatchObject({ status: 'success', result: 'pong' });
      expect((await lanCommand(port, client, 'wake', { mac: '0C:0C:0C:0C:0C:0C' })).reply).toMatchObject({ result: 'wol_sent' });
      expect((await wol.next()).equals(expectedMagicPacket('0C:0C:0C:0C:0C:0C'))).toBe(true);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      // The banner is the only place the token appears, exactly once.
      expect(first.output().split(token).length - 1).toBe(1);

      const second = runSim(args);
      running.push(second);
      await second.waitFor(/ready on port/);
      const port2 = Number((await second.waitFor(/LAN 127\.0\.0\.1:(\d+)/))[1]);
      expect(second.output()).toContain(`device ${deviceId} ready`);
      expect(second.output()).not.toContain('PROVISION');
      expect(second.output()).not.toContain(token);
      expect((await pingWhenListening(port2, client)).reply).toMatchObject({ status: 'success', result: 'pong' });
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      wol.close();
      state.remove();
    }
  }, 30_000);

  it.each([
    // The full table of refusals is in sim-args.test.ts; these check the process exits 2 with the message.
    [['--wol', '255.255.255.255:9'], /--wol must be a loopback address/],
    [['--relay', 'wss://relay.example.com'], /--relay must point at loopback/],
    [['--engine', 'v8'], /--engine must be node, xs or moddable/],
  ])('refuses %j before opening any socket', async (args, message) => {
    const sim = runSim(args);
    running.push(sim);
    expect(await sim.exited).toBe(2);
    expect(sim.output()).toMatch(message);
  });
});
