/**
 * The simulator's platform adapters and the XS bridge on their own, with a probe firmware
 * (fixtures/probe-device.ts) that touches every interface: timers, TCP, UDP, store, random, clock.
 * Both engines; on XS the probe must see xsnap's globals and no Node `process`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsoleLine } from '../../sim/node/logger';
import { Simulator } from '../../sim/simulator';
import { lanSend } from './helpers/client';
import { captureWol, ENGINES, randomDeviceId, type WolCapture } from './helpers/device';
import { startDevice as startProbe } from './fixtures/probe-device';

const PROBE = { startDevice: startProbe, module: fileURLToPath(new URL('./fixtures/probe-device.ts', import.meta.url)) };

describe.each(ENGINES)('platform adapters and bridge on the %s engine', (engine) => {
  let sim: Simulator | undefined;
  let wol: WolCapture | undefined;
  const lines: ConsoleLine[] = [];

  afterAll(async () => {
    await sim?.stop();
    wol?.close();
  });

  const waitFor = async (pattern: RegExp): Promise<string> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = lines.find((line) => pattern.test(line.message));
      if (found) return found.message;
      if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${lines.map((l) => l.message).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('runs timers, store, random, UDP guard and TCP with promise jobs drained after every event', async () => {
    wol = await captureWol();
    const errors: Error[] = [];
    sim = await Simulator.start({
      firmware: PROBE, engine, deviceId: randomDeviceId(), lanPort: 0, wol: { host: '127.0.0.1', port: wol.port },
      sink: (line) => lines.push(line), onFatal: (error) => errors.push(error),
    });
    expect(await waitFor(/^probe: issueCommand=/)).toBe(engine === 'xs' ? 'probe: issueCommand=function process=undefined' : 'probe: issueCommand=undefined process=object');
    expect(await waitFor(/probe: store read/)).toBe('probe: store read value-1');
    expect(sim.preferences()).toEqual({ probe_key: 'value-1' });
    expect(await waitFor(/bad key/)).toBe('probe: bad key refused (RangeError)');
    expect(await waitFor(/probe: random/)).toBe(`probe: random 16 bytes, crypto ${engine === 'xs' ? 'reference' : 'node:crypto'}`);
    expect(await waitFor(/LAN broadcast/)).toBe('probe: LAN broadcast refused');
    expect([...(await wol.next())]).toEqual([0xca, 0xfe]);
    await waitFor(/interval ran 3 times/);
    expect(await waitFor(/timeout fired/)).toBe('probe: timeout fired at >=30ms');

    // One event in (data), the synchronous write plus the promise job's write out, then FIN → close.
    const echo = await lanSend(sim.lanPort, 'abc\n', { end: true, timeoutMs: 3000 });
    expect(echo).toEqual({ text: 'ABC\n+job\n', closed: true });
    expect((await sim.status()).deviceId).toBe('WL920BE');

    // A reboot wipes every socket and timer of the old boot, and the probe boots again.
    await sim.reboot();
    expect(sim.boots).toBe(2);
    const again = await lanSend(sim.lanPort, 'x', { end: true, timeoutMs: 3000 });
    expect(again).toEqual({ text: 'X+job\n', closed: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((l) => /cancelled timer fired|accepted/.test(l.message))).toEqual([]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(errors).toEqual([]);
  });
});
