/**
 * Test scaffolding: the device side of the relay link reduced to what v1.0 firmware does on the
 * wire (spec 4.2) — connect to /ws/{device_id}, send the auth frame, answer each packet with
 * shared/. Used until/unless the simulator is wired into these tests.
 */
import WebSocket from 'ws';
import type { JsonObject } from '../../../shared/index';
import { replyPacket, type ResponderOptions } from './line-responder';

export interface WsDevice {
  received: JsonObject[];
  close(): Promise<void>;
}

/** Longest a test waits for the relay's welcome frame. */
export const WELCOME_LIMIT_MS = 5_000;

export function connectWsDevice(wsBase: string, deviceId: string, apiToken: string, options: ResponderOptions): Promise<WsDevice> {
  const received: JsonObject[] = [];
  const socket = new WebSocket(`${wsBase}/ws/${deviceId}`, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no welcome from the relay')), WELCOME_LIMIT_MS);
    socket.on('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token: apiToken })));
    socket.on('message', (data) => {
      const text = data.toString();
      const frame = JSON.parse(text) as JsonObject;
      if (frame.type === 'welcome') {
        clearTimeout(timer);
        resolve({
          received,
          close: () => new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done();
            socket.once('close', () => done());
            socket.close(1000);
          }),
        });
        return;
      }
      if (typeof frame.payload !== 'string') {
        if (frame.status === 'error') reject(new Error(`relay refused the device: ${text}`));
        return;
      }
      const answer = replyPacket(text, { ...options, deviceId }, received);
      // Online but never answering (timeout tests): the packet is opened and recorded, no reply goes back.
      if (!options.silent) socket.send(JSON.stringify(answer));
    });
  });
}
