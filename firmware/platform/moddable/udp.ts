/** UDP sender on Moddable `socket` (kind "UDP"). Every Moddable socket needs a callback. */
import { Socket } from 'socket';
import type { UdpFactory } from '../types';
import { toArrayBuffer } from './bytes';
import { guard } from './guard';

const MSG_READABLE = 2;

export function createModdableUdp(): UdpFactory {
  return {
    open(localPort) {
      const socket = new Socket({ kind: 'UDP', port: localPort ?? 0 });
      // Incoming datagrams are not part of the protocol (spec 3.2): read and drop them.
      socket.callback = guard('udp callback', (message: number) => {
        if (message === MSG_READABLE) socket.read(ArrayBuffer);
      });
      let closed = false;
      return {
        send(data, address, port) {
          socket.write(address, port, toArrayBuffer(data));
        },
        close() {
          if (closed) return;
          closed = true;
          socket.close();
        },
      };
    },
  };
}
