/**
 * `wakelink targets`, `wakelink schedules` and `wakelink wake <device> <target> --wait` as a user
 * runs them: the bin against the simulator (the unchanged firmware, its own process) over the LAN,
 * with a stand-in computer on 127.0.0.1 that stays silent until the test wakes it.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCodes } from '../../cli/errors';
import { startSleepyComputer, type SleepyComputer } from '../hil/helpers/sleepy-computer';
import { runBin } from './helpers/run-cli';
import { startSimProcess, type SimProcess } from './helpers/sim-process';
import { tempDir } from './helpers/temp';

const TOKEN = 'TargetsToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg';
const DEVICE_ID = 'WL7A26E7';

describe('wakelink targets, schedules and wake --wait', () => {
  let sim: SimProcess | undefined;
  let capture: dgram.Socket;
  let home: string;
  let sleepy: SleepyComputer;
  let silent: SleepyComputer;

  beforeAll(async () => {
    capture = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => capture.bind(0, '127.0.0.1', resolve));
    sleepy = await startSleepyComputer();
    silent = await startSleepyComputer();
    home = tempDir('wl-cli-targets-');
    sim = await startSimProcess(['--device-id', DEVICE_ID, '--token', TOKEN, '--wol', `127.0.0.1:${capture.address().port}`]);
    await sim.waitFor(/ready on port \d+/);
    const add = await runBin(['add', 'board', '--token', TOKEN, '--ip', '127.0.0.1', '--port', String(sim.lanPort), '--device-id', DEVICE_ID], home);
    expect(add.code, add.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
    capture?.close();
    sleepy?.close();
    silent?.close();
  });

  it('sets, lists and deletes targets; a bad field is named', async () => {
    const set = await runBin(['targets', 'board', 'set', 'desk', '--mac', '02:00:00:00:20:01', '--host', '127.0.0.1', '--port', String(sleepy.port), '--wait', '30'], home);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('saved target desk on board');
    await runBin(['targets', 'board', 'set', 'never', '--mac', '02:00:00:00:20:02', '--host', '127.0.0.1', '--port', String(silent.port), '--wait', '10', '--retries', '0'], home);
    await runBin(['targets', 'board', 'set', 'tv', '--mac', '02:00:00:00:20:03'], home);
    const list = await runBin(['targets', 'board'], home);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+MAC\s+PROBE\s+WAIT S\s+SECUREON$/);
    expect(list.stdout).toMatch(/desk\s+02:00:00:00:20:01\s+127\.0\.0\.1:\d+\s+30\s+no/);
    expect(list.stdout).toMatch(/tv\s+02:00:00:00:20:03\s+-/);
    const json = JSON.parse((await runBin(['targets', 'board', 'list', '--json'], home)).stdout) as { targets: unknown[] };
    expect(json.targets).toHaveLength(3);
    const bad = await runBin(['targets', 'board', 'set', 'x', '--mac', '02:00:00:00:20:04', '--port', '70000'], home);
    expect(bad.code).toBe(ExitCodes.FAILED);
    expect(bad.stderr).toMatch(/INVALID_TARGET.*port/);
  }, 30_000);

  it('status shows each target now', async () => {
    const status = await runBin(['targets', 'board', 'status'], home);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/desk\s+down/);
    expect(status.stdout).toMatch(/tv\s+unknown/);
  }, 30_000);

  it('wake --wait prints progress and exits 0 once the target answers', async () => {
    const waiting = runBin(['wake', 'board', 'desk', '--wait'], home, { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 4500));
    sleepy.wake();
    const done = await waiting;
    expect(done.code, `${done.stderr}\n${sim!.output()}`).toBe(0);
    expect(done.stderr).toMatch(/desk: no answer yet after \d+ s/);
    expect(done.stdout).toMatch(/wake board → desk \(02:00:00:00:20:01\): up after \d+\.\d s/);
  }, 70_000);

  it('wake --wait exits 8 when the target never answers', async () => {
    const done = await runBin(['wake', 'board', 'never', '--wait', '--json'], home, { timeoutMs: 60_000 });
    expect(done.code).toBe(ExitCodes.NOT_WOKEN);
    expect(JSON.parse(done.stdout)).toMatchObject({ ok: false, error: { code: 'NOT_WOKEN' }, result: { state: 'timeout' } });
  }, 70_000);

  it('wake --wait needs a target name, not a MAC', async () => {
    const done = await runBin(['wake', 'board', '02:00:00:00:20:01', '--wait'], home);
    expect(done.code).toBe(ExitCodes.USAGE);
  });

  it('sets, lists and deletes schedules', async () => {
    const set = await runBin(['schedules', 'board', 'set', 'desk', '--at', '07:30', '--days', 'weekdays', '--utc-offset', '60'], home);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/schedule 1 on board: wake desk at 07:30 weekdays \(UTC\+60 min\)/);
    const list = await runBin(['schedules', 'board'], home);
    expect(list.stdout).toMatch(/1\s+desk\s+07:30\s+mon,tue,wed,thu,fri\s+60/);
    expect((await runBin(['schedules', 'board', 'set', 'desk', '--at', '25:00'], home)).code).toBe(ExitCodes.USAGE);
    expect((await runBin(['schedules', 'board', 'delete', '1'], home)).code).toBe(0);
    const missing = await runBin(['schedules', 'board', 'delete', '1'], home);
    expect(missing.code).toBe(ExitCodes.FAILED);
    expect(missing.stderr).toContain('SCHEDULE_NOT_FOUND');
  }, 30_000);
});
