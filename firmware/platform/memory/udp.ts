/** UDP seam in RAM: records every datagram instead of sending it. */
import type { UdpFactory, UdpSocket } from '../types';

export interface SentDatagram {
  data: Uint8Array;
  address: string;
  port: number;
  localPort: number | undefined;
}

export class MemoryUdp implements UdpFactory {
  readonly sent: SentDatagram[] = [];
  openSockets = 0;
  /** Set to make the next sends throw, as a failing network would. */
  failSends = false;

  open(localPort?: number): UdpSocket {
    this.openSockets++;
    let open = true;
    return {
      send: (data, address, port) => {
        if (!open) throw new Error('socket closed');
        if (this.failSends) throw new Error('send failed');
        this.sent.push({ data: data.slice(), address, port, localPort });
      },
      close: () => {
        if (open) this.openSockets--;
        open = false;
      },
    };
  }
}
