/**
 * `npm run bench -- --device`: the firmware's memory budget and wake cost, measured on the real
 * Moddable lin build (instrumented release image, ESP8266 profile), under our headless host.
 *
 * Memory: after a forced GC, live slots and chunk bytes at four points (after boot on the LAN
 * only; after a reboot with the relay connected; after 100 wakes; after 1,000 wakes), the peaks,
 * the stack high-water mark against the ESP8266's configured stack (288 slots, manifest), and GC
 * runs per wake. ESP-equivalent bytes count a slot as 16 bytes (the ESP's slot; lin's is 32).
 *
 * Time: wakes over the LAN with the native `crypt` modules and with the plain-TS reference crypto
 * (same image, WAKELINK_CRYPTO=reference), as wall time per wake and device CPU per wake (from
 * /proc: the lin socket layer polls every 20-50 ms, which dominates wall time, not crypto).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import { REAL_FIRMWARE } from '../../sim/firmware';
import { Simulator } from '../../sim/simulator';
import { lanCommand, lanSend, V1Client } from '../../test/hil/helpers/client';
import { captureWol } from '../../test/hil/helpers/device';

/** manifest.json platforms.esp.creation.stack: the stack the ESP8266 build is given, in slots. */
export const ESP8266_STACK_SLOTS = 288;
export const ESP_SLOT_BYTES = 16;
export const TARGETS = { liveAfter100WakesBytes: 20 * 1024, peakStackShare: 0.75 } as const;

interface Figures {
  slots: number;
  peakSlots: number;
  chunkBytes: number;
  peakChunkBytes: number;
  stackSlots: number;
  slotBytes: number;
  peakStackSlots: number;
  gcCount: number;
}

export interface MemoryPoint {
  point: string;
  slots: number;
  chunkBytes: number;
  /** slots × 16 + chunk bytes. */
  espBytes: number;
  /** Stack high-water mark since the previous point (slots). */
  peakStackSlots: number;
}

export interface ModdableDeviceResult {
  points: MemoryPoint[];
  peakSlots: number;
  peakChunkBytes: number;
  peakEspBytes: number;
  peakStackSlots: number;
  stackShare: number;
  gcPerWake: number;
  growth100To1000Bytes: number;
  wake: Array<{ crypto: string; wakes: number; wallMsPerWake: number; cpuMsPerWake: number }>;
  verdicts: Record<string, boolean>;
}

const espBytes = (f: Figures): number => f.slots * ESP_SLOT_BYTES + f.chunkBytes;

/** utime + stime of a process, in ms (Linux /proc; clock ticks are 100 Hz here). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function startRelay(dir: string) {
  const config = loadConfig({ DATABASE_FILE: path.join(dir, 'relay.db'), CLOUD_PORT: '0', HOST: '127.0.0.1', SECRET_KEY: 'bench-device-secret-long-enough-0123456789', LOG_LEVEL: 'silent' });
  const app = await buildApp({ config, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('relay did not bind');
  const http = `http://127.0.0.1:${address.port}`;
  const post = async (route: string, body: unknown, token?: string): Promise<unknown> => {
    const response = await fetch(http + route, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const { api_token: apiToken } = (await post('/auth/register', { username: `bench_${randomBytes(3).toString('hex')}`, password: 'bench-password-123' })) as { api_token: string };
  return { app, ws: `ws://127.0.0.1:${address.port}`, apiToken, registerDevice: (deviceId: string) => post('/api/register_device', { device_id: deviceId }, apiToken) };
}

function waitForLine(lines: string[], pattern: RegExp, from: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (lines.slice(from).some((line) => pattern.test(line))) resolve();
      else if (Date.now() > deadline) reject(new Error(`no console line ${pattern}:\n${lines.slice(-20).join('\n')}`));
      else setTimeout(check, 25);
    };
    check();
  });
}

async function wakes(port: number, client: V1Client, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const { reply } = await lanCommand(port, client, 'wake', { mac: 'AA:BB:CC:00:00:01' });
    if (reply.status !== 'success') throw new Error(`wake ${i} failed: ${JSON.stringify(reply)}`);
  }
}

export async function benchModdableDevice(smoke: boolean): Promise<ModdableDeviceResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-bench-device-'));
  const wol = await captureWol();
  const relay = await startRelay(dir);
  const lines: string[] = [];
  const token = Array.from(randomBytes(96), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62]).join('');
  const deviceId = 'WL' + (0x100000 + randomBytes(3).readUIntBE(0, 3) % 0xf00000).toString(16).toUpperCase();
  const start = (withRelay: boolean, stateDir: string) => Simulator.start({
    firmware: REAL_FIRMWARE, engine: 'moddable', moddableImage: 'instrument', profile: 'esp8266', deviceId, token,
    lanPort: 0, wol: { host: '127.0.0.1', port: wol.port }, stateDir,
    ...(withRelay ? { relayUrl: relay.ws, apiToken: relay.apiToken } : {}),
    sink: (line) => lines.push(line.message),
    onFatal: (error) => lines.push(`FATAL ${error.message}`),
  });
  const first = smoke ? 10 : 100;
  const total = smoke ? 20 : 1000;
  try {
    await relay.registerDevice(deviceId);
    const points: MemoryPoint[] = [];
    const sample = async (sim: Simulator, point: string): Promise<Figures> => {
      const figures = (await sim.memory()).figures as Figures;
      points.push({ point, slots: figures.slots, chunkBytes: figures.chunkBytes, espBytes: espBytes(figures), peakStackSlots: figures.peakStackSlots });
      return figures;
    };
    // 1. LAN only, right after boot.
    const state = path.join(dir, 'state');
    let sim = await start(false, state);
    await waitForLine(lines, /ready on port/, 0);
    await sample(sim, 'after boot (LAN only)');
    await sim.stop();
    // 2. The same device, rebooted with the relay configured, once the relay has welcomed it.
    const mark = lines.length;
    sim = await start(true, state);
    await waitForLine(lines, /cloud: relay says welcome/, mark);
    await sample(sim, 'relay connected');
    const client = new V1Client(deviceId, token);
    await wakes(sim.lanPort, client, first);
    const at100 = await sample(sim, `after ${first} wakes`);
    await wakes(sim.lanPort, client, total - first);
    const atEnd = await sample(sim, `after ${total} wakes`);
    // A client that half-closes after its line gets its reply from inside the socket's end
    // callback (tcp.ts): the deepest LAN path, so it is part of the stack figure.
    for (let i = 0; i < 10; i++) {
      const sent = client.seal('wake', { mac: 'AA:BB:CC:00:00:02' });
      const exchange = await lanSend(sim.lanPort, sent.line + '\n', { end: true });
      if (client.open(exchange.text.trim()).status !== 'success') throw new Error('half-closed wake failed');
    }
    await sample(sim, '10 half-closed wakes');
    if (lines.some((line) => line.startsWith('FATAL'))) throw new Error(lines.filter((line) => line.startsWith('FATAL')).join('\n'));
    // Each `memory` request forces one collection of its own: those are not the wakes'.
    const gcPerWake = (atEnd.gcCount - at100.gcCount - 1) / (total - first);
    await sim.stop();

    // 3. Time per wake, native crypt vs plain TS, on a fresh LAN-only device each.
    const wake: ModdableDeviceResult['wake'] = [];
    for (const crypto of ['native', 'reference'] as const) {
      const from = lines.length;
      const timed = await Simulator.start({
        firmware: REAL_FIRMWARE, engine: 'moddable', moddableImage: 'release', profile: 'esp8266', deviceId, token,
        lanPort: 0, wol: { host: '127.0.0.1', port: wol.port }, stateDir: path.join(dir, `state-${crypto}`),
        moddableSettings: { crypto },
        sink: (line) => lines.push(line.message),
        onFatal: (error) => lines.push(`FATAL ${error.message}`),
      });
      await waitForLine(lines, /ready on port/, from);
      const used = lines.slice(from).find((line) => line.startsWith('crypto: ')) ?? '';
      const { pid } = await timed.memory().catch(() => ({ pid: undefined }));
      const n = smoke ? 10 : 200;
      await wakes(timed.lanPort, client, 5); // warm up
      const cpuBefore = pid ? cpuMs(pid) : 0;
      const started = performance.now();
      await wakes(timed.lanPort, client, n);
      const wallMsPerWake = (performance.now() - started) / n;
      const cpuMsPerWake = pid ? (cpuMs(pid) - cpuBefore) / n : Number.NaN;
      wake.push({ crypto: `${crypto} (${used.replace('crypto: ', '') || 'unknown'})`, wakes: n, wallMsPerWake, cpuMsPerWake });
      await timed.stop();
    }

    const peak = atEnd;
    const result: ModdableDeviceResult = {
      points,
      peakSlots: peak.peakSlots,
      peakChunkBytes: peak.peakChunkBytes,
      peakEspBytes: peak.peakSlots * ESP_SLOT_BYTES + peak.peakChunkBytes,
      peakStackSlots: Math.max(...points.map((p) => p.peakStackSlots)),
      stackShare: Math.max(...points.map((p) => p.peakStackSlots)) / ESP8266_STACK_SLOTS,
      gcPerWake,
      growth100To1000Bytes: espBytes(atEnd) - espBytes(at100),
      wake,
      verdicts: {},
    };
    result.verdicts = {
      [`live heap after ${first} wakes <= 20 KB ESP-equivalent`]: espBytes(at100) <= TARGETS.liveAfter100WakesBytes,
      [`no growth between wake ${first} and wake ${total}`]: result.growth100To1000Bytes <= 0,
      'peak stack <= 75 % of the ESP8266 stack': result.stackShare <= TARGETS.peakStackShare,
    };
    return result;
  } finally {
    await relay.app.close();
    wol.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
