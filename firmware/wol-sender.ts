/** Sends one Wake-on-LAN magic packet (spec 5.2) through the UDP seam. */
import { buildMagicPacket } from '../shared/index';
import type { UdpFactory } from './platform/types';

export interface WolTarget {
  address: string;
  port: number;
  /** v1.0 sends from local port 9; 0 lets the platform choose. */
  localPort: number;
}

/** Opens a socket per packet: wakes are rare, and no socket lingers in RAM between them. */
export function sendMagicPacket(udp: UdpFactory, target: WolTarget, mac: Uint8Array, secureOn?: Uint8Array): void {
  const packet = buildMagicPacket(mac, secureOn);
  const socket = udp.open(target.localPort || undefined);
  try {
    socket.send(packet, target.address, target.port);
  } finally {
    socket.close();
  }
}
