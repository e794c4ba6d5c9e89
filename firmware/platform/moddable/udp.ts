/** UDP sender on Moddable `socket` (kind "UDP"). Every Moddable socket needs a callback. */
import { Socket } from 'socket';
import type { UdpFactory } from '../types';
import { toArrayBuffer } from './bytes';

export function createModdableUdp(): UdpFactory {
  return {
    open(localPort) {
      const socket = new Socket({ kind: 'UDP', port: localPort ?? 0 });
      // Incoming datagrams are not part of the protocol (spec 3.2): read and drop them.
      socket.callback = (message: number) => {
        if (message === 2) socket.read(ArrayBuffer);
      };
      return {
        send(data, address, port) {
          socket.write(address, port, toArrayBuffer(data));
        },
        close() {
          socket.close();
        },
      };
    },
  };
}
