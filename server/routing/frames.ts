/** What the routing core sends (issue 13), one builder per frame; documented in routes/routing-docs.ts. */
import type { EndpointKind } from '../store/types';
import type { SignalType } from './codec';
import type { RoutedMessage } from './envelope';

const board = (deviceId: string | null) => (deviceId === null ? {} : { device_id: deviceId });
const correlated = (id: string | undefined) => (id === undefined ? {} : { id });

export function presenceFrame(endpointId: string, deviceId: string | null, kind: EndpointKind, online: boolean, timestamp: number): string {
  return JSON.stringify({ type: 'presence', endpoint: endpointId, ...board(deviceId), kind, online, timestamp });
}

/** The event contract the firmware relies on: `content` exactly as the publisher sent it. */
export function eventFrame(from: string, deviceId: string | null, event: string, content: unknown, timestamp: number): string {
  return JSON.stringify({ type: 'event', from, ...board(deviceId), event, content, timestamp });
}

export function pongFrame(id: string | undefined, timestamp: number): string {
  return JSON.stringify({ type: 'pong', ...correlated(id), timestamp });
}

export interface SubscribedEndpoint {
  endpoint: string;
  device_id?: string;
  kind: EndpointKind;
  name: string;
  online: boolean;
}

/** Answer to subscribe/unsubscribe: what this connection now follows, with the presence of each. */
export function subscribedFrame(self: string, id: string | undefined, scopes: string[], endpoints: SubscribedEndpoint[]): string {
  return JSON.stringify({ type: 'subscribed', ...correlated(id), self, scopes, endpoints });
}

/** The message as its recipient gets it: the 13 fields, `from` and `timestamp` filled in by the relay. */
export function messageFrame(message: RoutedMessage, from: string, msgid: string, timestamp: number): string {
  const optional: Record<string, unknown> = {};
  if (message.subject !== null) optional.subject = message.subject;
  if (message.content !== undefined) optional.content = message.content;
  if (message.action !== null) optional.action = message.action;
  if (message.event !== null) optional.event = message.event;
  if (message.status !== null) optional.status = message.status;
  if (message.conversationId !== null) optional.conversation_id = message.conversationId;
  if (message.msgno !== null) optional.msgno = message.msgno;
  return JSON.stringify({
    type: 'message', to: message.to, from, timestamp: message.timestamp ?? timestamp, priority: message.priority, msgid, acknowledge: message.acknowledge, ...optional,
  });
}

export type ReceiptStatus = 'delivered' | 'stored' | 'expired';

/** To a message's sender: where its message is (delivered to the socket, stored until the recipient connects, expired). */
export function receiptFrame(msgid: string, to: string, status: ReceiptStatus, timestamp: number, duplicate = false): string {
  return JSON.stringify({ type: 'receipt', msgid, to, status, timestamp, ...(duplicate ? { duplicate: true } : {}) });
}

/** The recipient's ack, routed back to the sender of a message sent with `acknowledge: true`. */
export function routedAckFrame(msgid: string, from: string, to: string, status: string | null, timestamp: number): string {
  return JSON.stringify({ type: 'ack', msgid, from, to, ...(status === null ? {} : { status }), timestamp });
}

/** The relay's ack of a command or signaling frame written to its target's socket. */
export function deliveredAckFrame(of: 'command' | SignalType, targetEndpoint: string, targetDeviceId: string | null, id: string | undefined): string {
  return JSON.stringify({
    type: 'ack', of, ...correlated(id), target_device_id: targetEndpoint, ...board(targetDeviceId), message: `Message delivered to ${targetEndpoint}`,
  });
}

export function signalFrame(signal: SignalType, from: string, fromDeviceId: string | null, payload: unknown, timestamp: number): string {
  return JSON.stringify({ type: signal, from, ...(fromDeviceId === null ? {} : { from_device_id: fromDeviceId }), payload, timestamp });
}

/** A board's reply to a `command` frame, to the client that sent it (v1.0 packet senders get the bare packet). */
export function responseFrame(from: string, deviceId: string, packetJson: string, id: string | undefined): string {
  // The packet is already JSON (packets.ts clientFrame): spliced in, not parsed again.
  return `${JSON.stringify({ type: 'response', from, device_id: deviceId, ...correlated(id) }).slice(0, -1)},"packet":${packetJson}}`;
}
