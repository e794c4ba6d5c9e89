/**
 * Hardware-in-the-loop, `update_token` (spec 5.1, S14) with `--state`: the rotated token survives
 * the reboot the command triggers and a later power cut, and the old token is refused from then on.
 * Catalogue ID: F13 (device reboot: the counter resumes above its old value). Both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lanCommand, lanSend, V1Client } from './helpers/client';
import { captureWol, ENGINES, startDevice, tempStateDir, type HilDevice, type WolCapture } from './helpers/device';

describe.each(ENGINES)('update_token across reboots on the %s engine', (engine) => {
  let wol: WolCapture;
  const state = tempStateDir();
  const started: HilDevice[] = [];

  beforeAll(async () => {
    wol = await captureWol();
  });

  afterAll(async () => {
    for (const device of started) await device.stop();
    wol?.close();
    state.remove();
  });

  it('refuses the old token and accepts the new one, after the reboot and after a power cut', async () => {
    const first = await startDevice({ engine, wolPort: wol.port, stateDir: state.dir });
    started.push(first);
    await first.waitReady();
    const port = first.sim.lanPort;
    const oldClient = new V1Client(first.deviceId, first.token);
    expect((await lanCommand(port, oldClient, 'ping')).reply).toMatchObject({ status: 'success' });

    const mark = first.lines.length;
    const rotated = await lanCommand(port, oldClient, 'update_token');
    // v1.0: the reply is sealed with the old key and carries the new token (spec 5.1).
    expect(rotated.reply).toMatchObject({ status: 'success', result: 'token_updated' });
    const newToken = rotated.reply.new_token as string;
    expect(newToken).toMatch(/^[A-Za-z0-9]{96}$/);
    const newClient = new V1Client(first.deviceId, newToken);

    await first.waitForLine(/^reboot$/, 10_000, mark);
    await first.waitReady(mark);
    expect(first.sim.boots).toBe(2);
    // Neither the old nor the new token is ever printed on the console.
    expect(first.lines.filter((l) => l.message.includes(newToken) || l.message.includes(first.token))).toEqual([]);

    const refused = await lanSend(port, oldClient.seal('ping').line + '\n');
    expect(() => oldClient.open(refused.text.trim())).toThrow(/HMAC/);
    expect(newClient.open(refused.text.trim())).toMatchObject({ status: 'error', error: 'INVALID_SIGNATURE' });
    const counterBefore = (await lanCommand(port, newClient, 'counter_info')).reply.request_counter as number;

    // Power cut, then the same command line again (same --token): the saved state wins.
    await first.sim.stop();
    const second = await startDevice({ engine, wolPort: wol.port, stateDir: state.dir, deviceId: first.deviceId, token: first.token });
    started.push(second);
    await second.waitReady();
    expect(second.lines.some((l) => /--token ignored/.test(l.message))).toBe(true);
    const port2 = second.sim.lanPort;
    const stillRefused = await lanSend(port2, oldClient.seal('ping').line + '\n');
    expect(newClient.open(stillRefused.text.trim())).toMatchObject({ status: 'error', error: 'INVALID_SIGNATURE' });
    const works = await lanCommand(port2, newClient, 'counter_info');
    expect(works.reply).toMatchObject({ status: 'success' });
    // The counter never goes backwards across the reboot (F13).
    expect(works.reply.request_counter as number).toBeGreaterThan(counterBefore);
  }, 30_000);

  it('F13: a wake captured before a power cut is refused after it, and no magic packet leaves', async () => {
    const replayState = tempStateDir();
    try {
      const first = await startDevice({ engine, wolPort: wol.port, stateDir: replayState.dir });
      started.push(first);
      await first.waitReady();
      const client = new V1Client(first.deviceId, first.token);
      const captured = client.seal('wake', { mac: '0A:0B:0C:0D:0E:0F' }).line + '\n';
      expect(client.open((await lanSend(first.sim.lanPort, captured)).text.trim())).toMatchObject({ result: 'wol_sent' });
      await wol.next();
      await first.sim.stop();

      const second = await startDevice({ engine, wolPort: wol.port, stateDir: replayState.dir, deviceId: first.deviceId, token: first.token });
      started.push(second);
      await second.waitReady();
      const replayed = client.open((await lanSend(second.sim.lanPort, captured)).text.trim());
      expect(replayed).toMatchObject({ status: 'error', error: 'STALE_TIMESTAMP' });
      await expect(wol.next(300)).rejects.toThrow();
    } finally {
      replayState.remove();
    }
  }, 30_000);
});
