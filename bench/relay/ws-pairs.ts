/**
 * Client/device socket pairs over WebSocket, for the relay (`/ws/client/{id}` → `/ws/{device}`,
 * v1.0 auth, ACK + bare reply packet) and for the raw baseline (`/pair/{n}/client|device`).
 * The device side answers each command frame with its sealed reply, as the firmware does.
 */
import type { WebSocket } from 'ws';
import type { RoundTrip } from './closed-loop';
import type { DevicePackets } from './packets';
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
 * Opens `packets.length` pairs. `relayToken` set: relay endpoints with auth, and a round trip
 * needs both the ACK (`delivered: true`) and the device's reply. Unset: the raw baseline, where the
 * reply alone completes it.
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
  const onClientFrame = (i: number) => (text: string) => {
    const waiting = pending[i];
    if (!waiting) return;
    if (text.includes('"payload"')) {
      waiting.replied = true;
    } else {
      const frame = JSON.parse(text) as { status?: string; delivered?: boolean };
      if (frame.status !== 'success' || frame.delivered !== true) {
        pending[i] = null;
        return waiting.reject(new Error(`pair ${i}: unexpected frame ${text.slice(0, 200)}`));
      }
      waiting.acked = true;
    }
    if (waiting.replied && (waiting.acked || !relay)) {
      pending[i] = null;
      waiting.resolve();
    }
  };
  const clients = await openMany(packets.length, OPEN_CONCURRENCY, (i) =>
    openPeer(relay ? `${base}/ws/client/bench-client-${i}` : `${base}/pair/${i}/client`, { token: relayToken, onMessage: onClientFrame(i) }));
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
