/**
 * Section 3: the v1.0 HTTP client path. Each client pushes a command (`POST /api/push`, device
 * online on WS) and long-polls `POST /api/pull` until the device's reply comes back. One
 * outstanding command per client, one device per client, so every pulled reply is the client's own.
 */
import type { WebSocket } from 'ws';
import { closedLoop, type LoopResult, type LoopTiming, type RoundTrip } from './closed-loop';
import { JsonClient, postOk } from './http';
import type { DevicePackets } from './packets';
import type { MeasuredProcess } from './processes';
import { openMany, openPeer, terminateAll } from './sockets';

const OPEN_CONCURRENCY = 64;
/** Long-poll wait in seconds, as the CLI sends it. */
const PULL_WAIT_SECONDS = 15;
/** Pulls per round trip before giving up (the CLI also stops after 2). */
const MAX_PULLS = 2;

export interface HttpRoundTripRow {
  clients: number;
  relay: LoopResult;
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

export async function benchHttpRoundTrips(opts: {
  relay: MeasuredProcess;
  token: string;
  packets: DevicePackets[];
  sizes: number[];
  timing: LoopTiming;
  baselineFor: (size: number) => LoopResult | undefined;
  log: (line: string) => void;
}): Promise<HttpRoundTripRow[]> {
  const rows: HttpRoundTripRow[] = [];
  for (const size of opts.sizes) {
    const packets = opts.packets.slice(0, size);
    const devices = await openMany(size, OPEN_CONCURRENCY, (i) =>
      openPeer(`ws://127.0.0.1:${opts.relay.port}/ws/${packets[i]!.deviceId}`, {
        token: opts.token,
        onMessage: (text: string, ws: WebSocket) => {
          if (text.includes('"payload"')) ws.send(packets[i]!.reply);
        },
      }));
    if (devices.error) {
      terminateAll(devices.opened);
      throw devices.error;
    }
    const clients = packets.map(() => new JsonClient(opts.relay.port, opts.token));
    let relay: LoopResult;
    try {
      relay = await closedLoop(packets.map((p, i) => pushPullLane(clients[i]!, p)), opts.relay, opts.timing);
    } finally {
      for (const client of clients) client.close();
      terminateAll(devices.opened);
    }
    const baseline = opts.baselineFor(size);
    rows.push({
      clients: size,
      relay,
      baselineRoundTripsPerSecond: baseline?.roundTripsPerSecond ?? Number.NaN,
      baselineP99Ms: baseline?.p99Ms ?? Number.NaN,
      throughputRatio: baseline ? relay.roundTripsPerSecond / baseline.roundTripsPerSecond : Number.NaN,
      p99Ratio: baseline ? relay.p99Ms / baseline.p99Ms : Number.NaN,
    });
    opts.log(`http round trip, ${size} clients: relay ${relay.roundTripsPerSecond.toFixed(0)}/s`);
  }
  return rows;
}
