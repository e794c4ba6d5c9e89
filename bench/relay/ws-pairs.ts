/**
 * Client/device socket pairs over WebSocket, for the relay (`/ws/client/{id}` → `/ws/{device}`,
 * v1.0 auth) and for the two reference servers (`/pair/{n}/client?device_id=…|device`). On every
 * server a round trip is the v1.0 ACK (checked byte for byte against the relay's) plus the bare
 * reply packet. The device side answers each command frame with its sealed reply, as the firmware does.
 */
import type { WebSocket } from 'ws';
import type { RoundTrip } from './closed-loop';
import type { DevicePackets } from './packets';
import { deliveredAck } from './pair-paths';
import { openMany, openPeer, terminateAll } from './sockets';

const OPEN_CONCURRENCY = 64;

export interface PairSet {
  lanes: RoundTrip[];
  close(): void;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  acked: boolean;
  replied: boolean;
}

function deviceAnswer(reply: string) {
  // Status and error frames carry no payload; the device must not answer them (spec 4.2 filtering).
  return (text: string, ws: WebSocket) => {
    if (text.includes('"payload"')) ws.send(reply);
  };
}

/**
 * Opens `packets.length` pairs. `relayToken` set: relay endpoints with auth; unset: a reference
 * server's pair paths. Either way a round trip needs both the ACK and the device's reply.
 */
export async function openPairs(port: number, packets: DevicePackets[], relayToken?: string): Promise<PairSet> {
  const sockets: WebSocket[] = [];
  const base = `ws://127.0.0.1:${port}`;
  const relay = relayToken !== undefined;

  const devices = await openMany(packets.length, OPEN_CONCURRENCY, (i) =>
    openPeer(relay ? `${base}/ws/${packets[i]!.deviceId}` : `${base}/pair/${i}/device`, {
      token: relayToken,
      onMessage: deviceAnswer(packets[i]!.reply),
    }));
  sockets.push(...devices.opened);
  if (devices.error) {
    terminateAll(sockets);
    throw devices.error;
  }

  const pending: (Pending | null)[] = packets.map(() => null);
  const acks = packets.map((p) => deliveredAck(p.deviceId));
  const onClientFrame = (i: number) => (text: string) => {
    const waiting = pending[i];
    if (!waiting) return;
    if (text.includes('"payload"')) {
      waiting.replied = true;
    } else {
      if (text !== acks[i]) {
        pending[i] = null;
        return waiting.reject(new Error(`pair ${i}: unexpected frame ${text.slice(0, 200)}`));
      }
      waiting.acked = true;
    }
    if (waiting.replied && waiting.acked) {
      pending[i] = null;
      waiting.resolve();
    }
  };
  const clients = await openMany(packets.length, OPEN_CONCURRENCY, (i) =>
    openPeer(relay ? `${base}/ws/client/bench-client-${i}` : `${base}/pair/${i}/client?device_id=${packets[i]!.deviceId}`, { token: relayToken, onMessage: onClientFrame(i) }));
  sockets.push(...clients.opened);
  if (clients.error) {
    terminateAll(sockets);
    throw clients.error;
  }

  const lanes = packets.map((p, i): RoundTrip => {
    const client = clients.opened[i]!;
    return () => new Promise<void>((resolve, reject) => {
      pending[i] = { resolve, reject, acked: false, replied: false };
      client.send(p.command);
    });
  });
  return { lanes, close: () => terminateAll(sockets) };
}
