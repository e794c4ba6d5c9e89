/**
 * The whole chain as a user runs it: the real relay, the device simulator (unchanged firmware
 * logic, `sim/main.ts` in its own process) and the `wakelink` bin, all on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMagicPacket } from '../../shared/index';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { runBin } from './helpers/run-cli';
import { startSimProcess, type SimProcess } from './helpers/sim-process';
import { tempDir } from './helpers/temp';

const TOKEN = 'SimulatorToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd';
const DEVICE_ID = 'WL5C1A77';
const MAC = '0A:1B:2C:3D:4E:5F';

describe('wakelink ↔ simulator (LAN and through the relay)', () => {
  let relay: TestRelay;
  let sim: SimProcess | undefined;
  let capture: dgram.Socket;
  const magic: Buffer[] = [];
  let home: string;

  beforeAll(async () => {
    relay = await startTestRelay();
    const apiToken = await createAccount(relay, 'simuser', 'sim user password 123');
    capture = dgram.createSocket('udp4');
    capture.on('message', (packet) => magic.push(packet));
    await new Promise<void>((resolve) => capture.bind(0, '127.0.0.1', resolve));
    home = tempDir('wl-cli-sim-');
    const login = await runBin(['login', '--relay', relay.http, '--api-token', apiToken], home);
    expect(login.code, login.stderr).toBe(0);
    const register = await runBin(['register', 'board', '--device-id', DEVICE_ID, '--token', TOKEN], home);
    expect(register.code, register.stderr).toBe(0);
    sim = await startSimProcess([
      '--device-id', DEVICE_ID, '--token', TOKEN, '--relay', relay.ws, '--api-token', apiToken,
      '--wol', `127.0.0.1:${capture.address().port}`,
    ]);
    await sim.waitFor(/ready on port \d+/);
    await sim.waitFor(/cloud: relay says/);
    // Same device, reachable on the LAN too: a second entry forced to TCP by having no relay URL.
    const add = await runBin(['add', 'board-lan', '--token', TOKEN, '--ip', '127.0.0.1', '--port', String(sim.lanPort), '--device-id', DEVICE_ID], home);
    expect(add.code, add.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
    capture?.close();
    await relay?.close();
  });

  it('LAN: wake sends the byte-exact magic packet to the capture socket; ping and info succeed', async () => {
    const wake = await runBin(['wake', 'board-lan', MAC], home);
    expect(wake.code, `${wake.stderr}\n${sim!.output()}`).toBe(0);
    expect(wake.stdout).toContain('result: wol_sent');
    const deadline = Date.now() + 5000;
    while (magic.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(magic.at(-1)).toEqual(Buffer.from(buildMagicPacket(MAC)));
    for (const command of ['ping', 'info']) {
      const run = await runBin([command, 'board-lan', '--json'], home);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, via: `tcp 127.0.0.1:${sim!.lanPort}` });
    }
  });

  it('ota does what its help says: the board acknowledges ota_start (ota_ready) and keeps answering as before', async () => {
    const help = await runBin(['ota', '--help'], home);
    expect(help.stdout).toContain('A WakeLink-XS board answers ota_ready but opens nothing');
    const ota = await runBin(['ota', 'board-lan', '--json'], home);
    expect(ota.code, ota.stderr).toBe(0);
    expect(JSON.parse(ota.stdout)).toMatchObject({ ok: true, command: 'ota_start', response: { result: 'ota_ready' } });
    await sim!.waitFor(/ota_start acknowledged/);
    const ping = await runBin(['ping', 'board-lan', '--json'], home);
    expect(ping.code, ping.stderr).toBe(0);
  });

  it('relay over http and over wss: ping, info and wake reach the simulator', async () => {
    for (const via of ['http', 'wss']) {
      const ping = await runBin(['ping', 'board', '--via', via, '--json'], home);
      expect(ping.code, `${via}: ${ping.stdout}${ping.stderr}\n${sim!.output()}`).toBe(0);
      expect(JSON.parse(ping.stdout)).toMatchObject({ ok: true, response: { result: 'pong' } });
      const info = await runBin(['info', 'board', '--via', via, '--json'], home);
      expect(info.code, info.stderr).toBe(0);
      expect(JSON.parse(info.stdout).response).toMatchObject({ device_id: DEVICE_ID, cloud_status: 'connected' });
      const before = magic.length;
      const wake = await runBin(['wake', 'board', MAC, '--via', via], home);
      expect(wake.code, wake.stderr).toBe(0);
      const deadline = Date.now() + 5000;
      while (magic.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(magic.length).toBe(before + 1);
    }
  });

  it('a wrong token: the simulator refuses it and the CLI reports the failed signature check (exit 6)', async () => {
    const wrong = await runBin(['add', 'impostor', '--token', 'X'.repeat(96), '--ip', '127.0.0.1', '--port', String(sim!.lanPort), '--device-id', DEVICE_ID], home);
    expect(wrong.code).toBe(0);
    const run = await runBin(['ping', 'impostor'], home);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('signature check failed');
  });

  it('update-token: the CLI saves the token the simulator now uses; the next command works with it', async () => {
    const rotate = await runBin(['update-token', 'board-lan', '--json'], home);
    expect(rotate.code, `${rotate.stdout}${rotate.stderr}`).toBe(0);
    expect(rotate.stdout).not.toMatch(/"new_token"/);
    const saved = JSON.parse(readFileSync(join(home, 'devices.json'), 'utf8'))['board-lan'].token as string;
    expect(saved).not.toBe(TOKEN);
    expect(saved.length).toBeGreaterThanOrEqual(32);
    await sim!.waitFor(/boot 2/);
    await sim!.waitFor(/ready on port \d+[\s\S]*ready on port \d+/);
    const ping = await runBin(['ping', 'board-lan', '--timeout', '5'], home);
    expect(ping.code, `${ping.stderr}\n${sim!.output()}`).toBe(0);
    // The old token is refused now.
    const old = await runBin(['add', 'board-old', '--token', TOKEN, '--ip', '127.0.0.1', '--port', String(sim!.lanPort), '--device-id', DEVICE_ID], home);
    expect(old.code).toBe(0);
    const stale = await runBin(['ping', 'board-old', '--timeout', '5'], home);
    expect(stale.code).toBe(6);
  });
});
