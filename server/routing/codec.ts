/**
 * The routing protocol's codec (issue 13): one text frame in, one typed value out, or a precise
 * error. Free of I/O and state, like mqtt-packet's parser: the router dispatches what this returns
 * to one handler per type. A frame with a `payload` (or without a `type`) is a v1.0 packet and is
 * checked exactly as before, with v1.0's errors; typed frames get the routing protocol's errors.
 */
import { RelayError } from '../errors';
import { parseFrame, validatePacket, type RelayPacket } from '../relay/packets';
import { isPlainObject, type JsonObject } from '../../shared/index';
import { FrameError, checkKeys, correlationId, isTargetRef } from './codec-rules';
import type { SubscriptionSet } from './backplane';
import { decodeMessage, MSGID_MAX, type RoutedMessage } from './envelope';

export const SIGNAL_TYPES = ['offer', 'answer', 'ice-candidate'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

export type Inbound =
  | { type: 'packet'; packet: RelayPacket }
  /** v1.0 control frames answered by nothing (`auth` after header auth, `pong`, `status`). */
  | { type: 'ignored' }
  | { type: 'ping'; id: string | undefined }
  | { type: 'subscribe' | 'unsubscribe'; id: string | undefined; refs: string[]; scopes: SubscriptionSet['scopes'] }
  | { type: 'event'; event: string; content: unknown; contentBytes: number }
  | { type: 'message'; message: RoutedMessage }
  | { type: 'ack'; msgid: string; status: string | null }
  /** `to` null: the sender's paired host (issue 14). */
  | { type: 'command'; id: string | undefined; to: string | null; packet: RelayPacket }
  | { type: 'pair_request'; id: string | undefined }
  | { type: 'pair_confirm'; id: string | undefined; code: string }
  | { type: 'signal'; signal: SignalType; id: string | undefined; target: string; payload: JsonObject };

export interface CodecBounds {
  eventContentBytes: number;
  messageContentBytes: number;
  subscriptionsPerSocket: number;
}

/** Who sent the frame: boards may send only packets, events and pings. */
export type Side = 'client' | 'board';

const IGNORED = new Set(['auth', 'pong', 'status']);
const ROUTING_TYPES = new Set(['ping', 'subscribe', 'unsubscribe', 'event', 'message', 'ack', 'command', 'pair_request', 'pair_confirm', ...SIGNAL_TYPES]);
/** A board may be a pairing host: it asks for the code (shown on its console or setup page). */
const BOARD_TYPES = new Set(['ping', 'event', 'pair_request']);
/** Longer than any code, so a wrong length is refused as invalid_code like every other wrong code. */
const PAIR_CODE_MAX = 16;
const EVENT_NAME_RE = /^[a-z0-9_.-]{1,64}$/;
const STATUS_MAX = 64;

export function decodeFrame(text: string, isBinary: boolean, side: Side, bounds: CodecBounds): Inbound {
  if (isBinary) throw new RelayError('INVALID_JSON', 'Binary frames are not supported; send JSON text');
  const frame = parseFrame(text);
  const type = frame.type;
  // v1.0 packets, whatever else they carry (v1.0 relays ignored extra fields), unless the `type`
  // is one of the routing protocol's (signaling frames carry a `payload` of their own).
  if (typeof type !== 'string' || (frame.payload !== undefined && !ROUTING_TYPES.has(type))) {
    return { type: 'packet', packet: validatePacket(frame, side === 'board' ? 'Missing fields' : 'Missing') };
  }
  if (IGNORED.has(type)) return { type: 'ignored' };
  if (side === 'board' && !BOARD_TYPES.has(type)) {
    throw new FrameError('UNKNOWN_TYPE', `a board socket takes v1.0 packets and \`event\`, \`pair_request\` and \`ping\` frames, not \`${type.slice(0, 40)}\``);
  }
  switch (type) {
    case 'ping':
      checkKeys(frame, ['type', 'id']);
      return { type: 'ping', id: correlationId(frame) };
    case 'subscribe':
    case 'unsubscribe':
      return decodeSubscription(type, frame, bounds.subscriptionsPerSocket);
    case 'event':
      return decodeEvent(frame, bounds.eventContentBytes);
    case 'message':
      return { type: 'message', message: decodeMessage(frame, bounds.messageContentBytes) };
    case 'ack':
      return decodeAck(frame);
    case 'command':
      return decodeCommand(frame);
    case 'pair_request':
      checkKeys(frame, ['type', 'id']);
      return { type: 'pair_request', id: correlationId(frame) };
    case 'pair_confirm': {
      checkKeys(frame, ['type', 'code', 'id']);
      const id = correlationId(frame);
      if (typeof frame.code !== 'string' || frame.code.length > PAIR_CODE_MAX) {
        throw new FrameError('INVALID_FRAME', '`code` must be the code the other endpoint was given, as a string ("448826")', id === undefined ? {} : { id });
      }
      return { type: 'pair_confirm', id, code: frame.code };
    }
    default:
      if ((SIGNAL_TYPES as readonly string[]).includes(type)) return decodeSignal(type as SignalType, frame);
      throw new FrameError('UNKNOWN_TYPE', `unknown frame type \`${type.slice(0, 40)}\` (see /docs: subscribe, unsubscribe, event, message, ack, command, pair_request, pair_confirm, offer, answer, ice-candidate, ping)`);
  }
}

function decodeSubscription(type: 'subscribe' | 'unsubscribe', frame: JsonObject, max: number): Inbound {
  checkKeys(frame, ['type', 'endpoints', 'id']);
  const id = correlationId(frame);
  const context = id === undefined ? {} : { id };
  const endpoints = frame.endpoints;
  if (endpoints === '*') return { type, id, refs: [], scopes: ['all'] };
  if (endpoints === 'boards') return { type, id, refs: [], scopes: ['boards'] };
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new FrameError('INVALID_FRAME', '`endpoints` must be "*" (every endpoint of the account), "boards" (every board) or a non-empty list of endpoint ids, device ids or uuids', context);
  }
  if (endpoints.length > max) throw new FrameError('SUBSCRIPTION_LIMIT', `at most ${max} endpoints per connection (SUBSCRIPTIONS_PER_SOCKET)`, context);
  const bad = endpoints.find((ref) => !isTargetRef(ref));
  if (bad !== undefined) throw new FrameError('INVALID_FRAME', `\`endpoints\` entry ${JSON.stringify(bad).slice(0, 80)} is not an endpoint id, device id or uuid`, context);
  return { type, id, refs: [...new Set(endpoints as string[])], scopes: [] };
}

function decodeEvent(frame: JsonObject, maxContentBytes: number): Inbound {
  const name = frame.event;
  const context = typeof name === 'string' && name.length <= 64 ? { event: name } : {};
  checkKeys(frame, ['type', 'event', 'content'], context);
  if (typeof name !== 'string' || !EVENT_NAME_RE.test(name)) throw new FrameError('INVALID_FRAME', '`event` must be 1 to 64 characters of a-z 0-9 _ . -', context);
  if (frame.content === undefined) throw new FrameError('INVALID_FRAME', '`content` is required (any JSON value; null for none)', context);
  const contentBytes = Buffer.byteLength(JSON.stringify(frame.content));
  if (contentBytes > maxContentBytes) {
    throw new FrameError('FRAME_TOO_LARGE', `\`content\` is ${contentBytes} bytes as JSON; at most ${maxContentBytes} (EVENT_CONTENT_BYTES)`, context);
  }
  return { type: 'event', event: name, content: frame.content, contentBytes };
}

function decodeAck(frame: JsonObject): Inbound {
  checkKeys(frame, ['type', 'msgid', 'status']);
  const { msgid, status } = frame;
  if (typeof msgid !== 'string' || msgid.length === 0 || msgid.length > MSGID_MAX) throw new FrameError('INVALID_FRAME', '`msgid` must name the message you received');
  if (status !== undefined && (typeof status !== 'string' || status.length > STATUS_MAX)) {
    throw new FrameError('INVALID_FRAME', `\`status\` must be a string of at most ${STATUS_MAX} characters`, { msgid });
  }
  return { type: 'ack', msgid, status: (status as string | undefined) ?? null };
}

function decodeCommand(frame: JsonObject): Inbound {
  checkKeys(frame, ['type', 'to', 'packet', 'id']);
  const id = correlationId(frame);
  const context = { ...(id === undefined ? {} : { id }), ...(typeof frame.to === 'string' ? { to: frame.to.slice(0, 64) } : {}) };
  if (frame.to !== undefined && !isTargetRef(frame.to)) {
    throw new FrameError('INVALID_FRAME', '`to` must be a board\'s endpoint id, device id or uuid (or absent: your paired host)', context);
  }
  if (!isPlainObject(frame.packet)) throw new FrameError('INVALID_FRAME', '`packet` must be a sealed v1.0 packet {device_id, payload, signature, version}', context);
  let packet: RelayPacket;
  try {
    packet = validatePacket(frame.packet, 'Missing');
  } catch (error) {
    throw new FrameError('INVALID_FRAME', `\`packet\`: ${(error as RelayError).detail}`, context);
  }
  return { type: 'command', id, to: (frame.to as string | undefined) ?? null, packet };
}

function decodeSignal(signal: SignalType, frame: JsonObject): Inbound {
  checkKeys(frame, ['type', 'target_device_id', 'payload', 'id']);
  const id = correlationId(frame);
  const target = frame.target_device_id;
  const context = { ...(id === undefined ? {} : { id }), ...(typeof target === 'string' ? { target_device_id: target.slice(0, 64) } : {}) };
  const fail = (detail: string): never => {
    throw new FrameError('INVALID_FRAME', detail, context);
  };
  if (!isTargetRef(target)) fail('`target_device_id` must be an endpoint id, device id or uuid of your account');
  const payload = frame.payload;
  if (!isPlainObject(payload)) return fail('`payload` must be an object');
  if (signal === 'ice-candidate') {
    if (typeof payload.candidate !== 'string') fail('`payload.candidate` must be a string (empty for end of candidates)');
    if (payload.sdpMid !== undefined && payload.sdpMid !== null && typeof payload.sdpMid !== 'string') fail('`payload.sdpMid` must be a string or null');
    const index = payload.sdpMLineIndex;
    if (index !== undefined && index !== null && !(typeof index === 'number' && Number.isSafeInteger(index) && index >= 0)) {
      fail('`payload.sdpMLineIndex` must be a non-negative integer or null');
    }
  } else {
    // Its size is the frame's (WS_MAX_FRAME_BYTES, checked before the frame is read).
    if (typeof payload.sdp !== 'string' || payload.sdp.length === 0) fail('`payload.sdp` must be a non-empty string');
    if (payload.type !== signal) fail(`\`payload.type\` must be "${signal}"`);
  }
  return { type: 'signal', signal, id, target: target as string, payload };
}
