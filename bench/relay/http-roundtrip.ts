/**
 * Section 3: the v1.0 HTTP client path. Each client pushes a command (`POST /api/push`, device
 * online on WS) and long-polls `POST /api/pull` until the device's reply comes back. One
 * outstanding command per client, one device per client, so every pulled reply is the client's own.
 * Like section 2, rounds alternate between the relay and (when given) the relay before a change,
 * and the median round is kept: HTTP figures on 2 shared cores move by ±20 % between single runs.
 */
import type { WebSocket } from 'ws';
import { closedLoop, type LoopResult, type LoopTiming, type RoundTrip } from './closed-loop';
import { JsonClient, postOk } from './http';
import type { DevicePackets } from './packets';
import type { MeasuredProcess } from './processes';
import { openMany, openPeer, terminateAll } from './sockets';
import { medianRound } from './stats';
import { pairedRatios, type Ratios } from './ws-roundtrip';

const OPEN_CONCURRENCY = 64;
/** Long-poll wait in seconds, as the CLI sends it. */
const PULL_WAIT_SECONDS = 15;
/** Pulls per round trip before giving up (the CLI also stops after 2). */
const MAX_PULLS = 2;

export interface HttpRoundTripRow {
  clients: number;
  relay: LoopResult;
  /** The relay before a change (BENCH_RELAY_BEFORE_MAIN), when measured. */
  relayBefore?: LoopResult;
  /** relay ÷ relay before, median of per-round ratios, when measured. */
  afterToBefore?: Ratios;
  /** Baseline figures of the raw `ws` relay at the same concurrency (section 2). */
  baselineRoundTripsPerSecond: number;
  baselineP99Ms: number;
  throughputRatio: number;
  p99Ratio: number;
}

function pushPullLane(client: JsonClient, packet: DevicePackets): RoundTrip {
  const command = JSON.parse(packet.command) as Record<string, unknown>;
  return async () => {
    const pushed = await postOk(client, '/api/push', command, [200]);
    if (pushed.delivered_via_ws !== true) throw new Error(`push not delivered to the online device: ${JSON.stringify(pushed)}`);
    for (let i = 0; i < MAX_PULLS; i++) {
      const pulled = await postOk(client, '/api/pull', { device_id: packet.deviceId, wait: PULL_WAIT_SECONDS }, [200]);
      if (typeof pulled.count === 'number' && pulled.count > 0) return;
    }
    throw new Error(`no reply pulled for ${packet.deviceId} after ${MAX_PULLS} long polls`);
  };
}

interface Lanes {
  lanes: RoundTrip[];
  close: () => void;
}

/** Online boards answering every command, and one HTTP client per board. */
async function openLanes(port: number, token: string, packets: DevicePackets[]): Promise<Lanes> {
  const devices = await openMany(packets.length, OPEN_CONCURRENCY, (i) =>
    openPeer(`ws://127.0.0.1:${port}/ws/${packets[i]!.deviceId}`, {
      token,
      onMessage: (text: string, ws: WebSocket) => {
        if (text.includes('"payload"')) ws.send(packets[i]!.reply);
      },
    }));
  if (devices.error) {
    terminateAll(devices.opened);
    throw devices.error;
  }
  const clients = packets.map(() => new JsonClient(port, token));
  return {
    lanes: packets.map((p, i) => pushPullLane(clients[i]!, p)),
    close: () => {
      for (const client of clients) client.close();
      terminateAll(devices.opened);
    },
  };
}

interface Contender {
  server: MeasuredProcess;
  token: string;
  lanes?: Lanes;
  rounds: LoopResult[];
}

export async function benchHttpRoundTrips(opts: {
  relay: MeasuredProcess;
  token: string;
  before?: { relay: MeasuredProcess; token: string };
  packets: DevicePackets[];
  sizes: number[];
  rounds: number;
  timing: LoopTiming;
  baselineFor: (size: number) => LoopResult | undefined;
  log: (line: string) => void;
}): Promise<HttpRoundTripRow[]> {
  const rows: HttpRoundTripRow[] = [];
  for (const size of opts.sizes) {
    const packets = opts.packets.slice(0, size);
    const relay: Contender = { server: opts.relay, token: opts.token, rounds: [] };
    const before: Contender | undefined = opts.before && { server: opts.before.relay, token: opts.before.token, rounds: [] };
    const all = [...(before ? [before] : []), relay];
    try {
      for (const c of all) c.lanes = await openLanes(c.server.port, c.token, packets);
      for (let round = 0; round < opts.rounds; round++) {
        for (const c of round % 2 === 0 ? all : [...all].reverse()) c.rounds.push(await closedLoop(c.lanes!.lanes, c.server, opts.timing));
      }
    } finally {
      for (const c of all) c.lanes?.close();
    }
    const result = medianRound(relay.rounds);
    const baseline = opts.baselineFor(size);
    rows.push({
      clients: size,
      relay: result,
      ...(before ? { relayBefore: medianRound(before.rounds), afterToBefore: pairedRatios(relay.rounds, before.rounds) } : {}),
      baselineRoundTripsPerSecond: baseline?.roundTripsPerSecond ?? Number.NaN,
      baselineP99Ms: baseline?.p99Ms ?? Number.NaN,
      throughputRatio: baseline ? result.roundTripsPerSecond / baseline.roundTripsPerSecond : Number.NaN,
      p99Ratio: baseline ? result.p99Ms / baseline.p99Ms : Number.NaN,
    });
    const beforeText = before ? `relay before ${medianRound(before.rounds).roundTripsPerSecond.toFixed(0)}/s, ` : '';
    opts.log(`http round trip, ${size} clients: ${beforeText}relay ${result.roundTripsPerSecond.toFixed(0)}/s`);
  }
  return rows;
}
