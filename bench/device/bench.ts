/**
 * Section 6: device side. The XS engine's own compute meter (deterministic, not a time) for one
 * LAN `wake` request handled end to end by the firmware logic — line framing, open (HMAC check,
 * decrypt), freshness, dispatch, magic packet, seal — with the plain-TS crypto a board without
 * native ChaCha20/HMAC would use. Measured as (run with N requests − run with 0) / N.
 */
import { fileURLToPath } from 'node:url';
import { nodeCrypto } from '../../node/crypto';
import { runInXs } from '../../node/xs/run';
import { deriveKey, openPacketText, sealPacket } from '../../shared/index';

const ENTRY = fileURLToPath(new URL('./xs.entry.ts', import.meta.url));
const SEAL_OPEN_ENTRY = fileURLToPath(new URL('../protocol/xs.entry.ts', import.meta.url));
const TOKEN = 'WakeLinkBenchDeviceToken-0123456789abcdefghijklmnopqrstuvwxyz';
const NOW_SECONDS = 1_733_500_000;
const LAN_PORT = 99;
const MAC = 'AA:BB:CC:DD:EE:FF';
const XS_TIMEOUT_MS = 120_000;

export interface DeviceResult {
  requests: number;
  /** XS compute meter units per request (difference of two whole-run meters, divided by N). */
  computePerRequest: number;
  computeWithRequests: number;
  computeWithout: number;
  /** Same meter for one bare sealPacket + openPacket pair (the protocol table's workload), for scale. */
  sealOpenComputePerPair: number;
  /** computePerRequest ÷ sealOpenComputePerPair: what framing, freshness, dispatch and WoL add to the crypto. */
  ratioToSealOpen: number;
}

/** N distinct, fresh, correctly sealed v1.0 LAN request lines (nonce and request id unique). */
function requests(count: number): string[] {
  const key = deriveKey(TOKEN, nodeCrypto);
  return Array.from({ length: count }, (_, i) => {
    const nonce = new Uint8Array(16);
    new DataView(nonce.buffer).setUint32(0, i + 1);
    const inner = { command: 'wake', data: { mac: MAC }, request_id: `bench-${i}`, timestamp: NOW_SECONDS };
    return JSON.stringify(sealPacket({ key, deviceId: 'WL35080814', inner, nonce, crypto: nodeCrypto }));
  });
}

async function meter(lines: string[], handle: number) {
  const run = await runInXs(ENTRY, {
    timeoutMs: XS_TIMEOUT_MS,
    define: {
      BENCH_REQUESTS: JSON.stringify(lines),
      BENCH_HANDLE: String(handle),
      BENCH_TOKEN: JSON.stringify(TOKEN),
      BENCH_NOW_SECONDS: String(NOW_SECONDS),
      BENCH_LAN_PORT: String(LAN_PORT),
    },
  });
  if (run.compute === null) throw new Error('xsnap reported no compute meter');
  const summary = run.messages.at(-1) as { handled: number; magicPackets: number; lastReply: string; mode: string };
  return { compute: run.compute, summary };
}

async function sealOpenCompute(pairs: number): Promise<number> {
  const run = async (n: number) => {
    const result = await runInXs(SEAL_OPEN_ENTRY, { timeoutMs: XS_TIMEOUT_MS, define: { BENCH_PAIRS: String(n) } });
    if (result.compute === null) throw new Error('xsnap reported no compute meter');
    return result.compute;
  };
  return ((await run(pairs)) - (await run(0))) / pairs;
}

export async function benchDevice(smoke: boolean): Promise<DeviceResult> {
  const count = smoke ? 4 : 48;
  const lines = requests(count);
  const withRequests = await meter(lines, count);
  const without = await meter(lines, 0);
  // The work must really have happened: one magic packet per request, and a correct last reply.
  const { summary } = withRequests;
  if (summary.mode !== 'STA' || summary.magicPackets !== count || without.summary.magicPackets !== 0) {
    throw new Error(`device bench did not run as intended: ${JSON.stringify(summary)}`);
  }
  const reply = openPacketText({ key: deriveKey(TOKEN, nodeCrypto), packet: summary.lastReply.trim(), crypto: nodeCrypto });
  if (reply.inner.status !== 'success' || reply.inner.result !== 'wol_sent' || reply.inner.request_id !== `bench-${count - 1}`) {
    throw new Error(`unexpected reply from the firmware: ${JSON.stringify(reply.inner)}`);
  }
  const computePerRequest = (withRequests.compute - without.compute) / count;
  const sealOpenComputePerPair = await sealOpenCompute(count);
  return {
    requests: count,
    computePerRequest,
    sealOpenComputePerPair,
    ratioToSealOpen: computePerRequest / sealOpenComputePerPair,
    computeWithRequests: withRequests.compute,
    computeWithout: without.compute,
  };
}
