/** UDP sender on Moddable `socket` (kind "UDP"). Every Moddable socket needs a callback. */
import { Socket } from 'socket';
import type { UdpFactory, UdpSocket } from '../types';
import { toArrayBuffer } from './bytes';
import { reportFault } from './guard';

const MSG_READABLE = 2;

class ModdableUdpSocket implements UdpSocket {
  private readonly socket: InstanceType<typeof Socket> & { write(address: string, port: number, data: ArrayBuffer): void };
  private closed = false;

  constructor(localPort: number) {
    const socket = new Socket({ kind: 'UDP', port: localPort }) as ModdableUdpSocket['socket'];
    // Incoming datagrams are not part of the protocol (spec 3.2): read and drop them.
    socket.callback = (message: number) => {
      try {
        if (message === MSG_READABLE) socket.read(ArrayBuffer);
      } catch (error) {
        reportFault('udp callback', error);
      }
    };
    this.socket = socket;
  }

  send(data: Uint8Array, address: string, port: number): void {
    this.socket.write(address, port, toArrayBuffer(data));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

export class ModdableUdp implements UdpFactory {
  open(localPort?: number): UdpSocket {
    return new ModdableUdpSocket(localPort ?? 0);
  }
}
