/**
 * Messages between the firmware running inside XS (the guest) and the simulator process that owns
 * the real sockets (the host). The guest calls the host synchronously with `issueCommand`; the host
 * pushes events into the guest with xsnap's `issueCommand` → the guest's `handleCommand`. Both
 * directions carry one JSON object, UTF-8 encoded. Bytes travel as lowercase hex.
 */
import type { DeviceOptions, DeviceStatus, LogLevel } from '../../firmware/platform/types';

/** Guest → host requests (the reply is `HostReply`). Ids are allocated by whoever creates the object. */
export type GuestRequest =
  | { op: 'tcp.listen'; listener: number; port: number }
  | { op: 'tcp.unlisten'; listener: number }
  | { op: 'tcp.write'; conn: number; hex?: string; text?: string }
  | { op: 'tcp.close'; conn: number }
  | { op: 'udp.open'; socket: number; localPort?: number }
  | { op: 'udp.send'; socket: number; hex: string; address: string; port: number }
  | { op: 'udp.close'; socket: number }
  | { op: 'probe.start'; probe: number; host: string; port: number; timeoutMs: number }
  | { op: 'probe.cancel'; probe: number }
  | { op: 'ws.connect'; ws: number; url: string; headers: Array<[string, string]>; protocol?: string; verifyTls: boolean }
  | { op: 'ws.send'; ws: number; text: string }
  | { op: 'ws.ping'; ws: number }
  | { op: 'ws.close'; ws: number }
  | { op: 'timer.set'; timer: number; ms: number; repeat: boolean }
  | { op: 'timer.clear'; timer: number }
  | { op: 'store.get'; key: string }
  | { op: 'store.set'; key: string; value: string }
  | { op: 'store.delete'; key: string }
  | { op: 'clock' }
  | { op: 'random'; length: number }
  | { op: 'net.info' }
  | { op: 'net.connectStation'; callback: number; ssid: string; password: string }
  | { op: 'net.startAccessPoint'; callback: number; ssid: string; password: string }
  | { op: 'net.onStationLost'; callback: number }
  | { op: 'log'; level: LogLevel; message: string }
  | { op: 'system.restart' };

export interface HostReply {
  /** Set when the host-side call threw; the guest rethrows it (as RangeError when `range`). */
  error?: string;
  range?: boolean;
  value?: unknown;
}

export interface NetInfo {
  ip: string;
  ssid: string;
  rssi: number;
  mode: 'STA' | 'AP';
  chipId: number;
  freeHeap: number;
}

export interface ClockReading {
  uptimeMs: number;
  nowSeconds?: number;
}

/** Host → guest events. */
export type HostEvent =
  | { ev: 'boot'; options: DeviceOptions }
  | { ev: 'stop' }
  | { ev: 'status' }
  | { ev: 'tcp.accept'; listener: number; conn: number; remoteAddress: string }
  | { ev: 'tcp.data'; conn: number; hex: string }
  | { ev: 'tcp.end'; conn: number }
  | { ev: 'timer'; timer: number }
  | { ev: 'ws.open'; ws: number }
  | { ev: 'ws.message'; ws: number; text: string }
  | { ev: 'ws.pong'; ws: number }
  | { ev: 'ws.close'; ws: number }
  | { ev: 'net.callback'; callback: number; ok?: boolean; ip?: string }
  | { ev: 'probe.done'; probe: number; state: 'up' | 'down' };

export interface GuestReply {
  ok: boolean;
  error?: string;
  status?: DeviceStatus;
}
