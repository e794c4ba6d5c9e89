/** Prints the `--device` section (bench/device/moddable.ts) and keeps it in bench/device-results.json. */
import { writeFileSync } from 'node:fs';
import { benchModdableDevice, ESP8266_STACK_SLOTS } from './moddable';

const kb = (bytes: number): number => Number((bytes / 1024).toFixed(1));

export async function printModdableDevice(smoke: boolean): Promise<void> {
  const result = await benchModdableDevice(smoke);
  console.log('\nDevice memory on the real Moddable lin build (instrumented release, ESP8266 profile), after a forced GC');
  console.table(result.points.map((p) => ({ point: p.point, slots: p.slots, 'chunk KB': kb(p.chunkBytes), 'ESP-equivalent KB (slots x 16 + chunks)': kb(p.espBytes), 'stack peak since previous point, slots': p.peakStackSlots })));
  console.table([
    { measure: 'peak slots / peak chunk KB', value: `${result.peakSlots} / ${kb(result.peakChunkBytes)}` },
    { measure: 'peak ESP-equivalent KB', value: kb(result.peakEspBytes) },
    { measure: `stack high-water mark, slots (of ${ESP8266_STACK_SLOTS} on the ESP8266)`, value: `${result.peakStackSlots} (${(result.stackShare * 100).toFixed(0)} %)` },
    { measure: 'GC runs per wake', value: Number(result.gcPerWake.toFixed(2)) },
    { measure: 'growth between the two wake points, ESP-equivalent bytes', value: result.growth100To1000Bytes },
  ]);
  console.log('\nLAN wake on the lin build: native crypt vs plain-TS crypto');
  console.table(result.wake.map((w) => ({ crypto: w.crypto, wakes: w.wakes, 'wall ms per wake': Number(w.wallMsPerWake.toFixed(2)), 'device CPU ms per wake': Number(w.cpuMsPerWake.toFixed(2)) })));
  console.log('\nTargets');
  console.table(Object.entries(result.verdicts).map(([target, met]) => ({ target, verdict: met ? 'met' : 'MISSED' })));
  if (!smoke) writeFileSync(new URL('../device-results.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + '\n');
}
