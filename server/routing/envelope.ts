/**
 * The 13-field message envelope (issue 13): every field is checked, none is coerced, and a field
 * outside the 13 is refused by name. No I/O here: the message handler decides what to do with it.
 */
import type { JsonObject } from '../../shared/index';
import { FrameError, checkKeys, isTargetRef, optionalString, TOKEN_RE } from './codec-rules';

export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The 13 fields, in the order. */
export const ENVELOPE_FIELDS: readonly string[] = 'to from timestamp priority subject msgid acknowledge content action event status conversation_id msgno'.split(' ');

export interface RoutedMessage {
  to: string;
  /** As the sender wrote it, if it did: it must name the sender's own endpoint (checked by the handler). */
  from: string | null;
  /** Sender's time (ms since the epoch); the relay's when absent. */
  timestamp: number | null;
  priority: Priority;
  subject: string | null;
  /** The relay makes one up when absent. */
  msgid: string | null;
  acknowledge: boolean;
  /** Opaque JSON, never read; undefined when absent. */
  content: unknown;
  /** Its JSON text and size (bounded by MESSAGE_CONTENT_BYTES). */
  contentBytes: number;
  action: string | null;
  event: string | null;
  status: string | null;
  conversationId: string | null;
  msgno: number | null;
}

export const MSGID_MAX = 128;
const SUBJECT_MAX = 256;
const WORD_MAX = 64;
const EVENT_RE = /^[a-z0-9_.-]{1,64}$/;

/** `{"type":"message", …13 fields…}` → RoutedMessage, or FrameError naming the field. */
export function decodeMessage(frame: JsonObject, maxContentBytes: number): RoutedMessage {
  const context = typeof frame.msgid === 'string' && frame.msgid.length <= MSGID_MAX ? { msgid: frame.msgid } : {};
  const fail = (detail: string): never => {
    throw new FrameError('INVALID_FRAME', detail, context);
  };
  checkKeys(frame, ['type', ...ENVELOPE_FIELDS], context);
  if (!isTargetRef(frame.to)) fail('`to` must be an endpoint id (ep_…), a device id (WL…) or an endpoint uuid');
  if (frame.from !== undefined && !isTargetRef(frame.from)) fail('`from` must be your endpoint id or uuid');
  const timestamp = frame.timestamp;
  if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0)) {
    fail('`timestamp` must be milliseconds since the epoch (a non-negative integer)');
  }
  const priority = frame.priority ?? 'normal';
  if (typeof priority !== 'string' || !(PRIORITIES as readonly string[]).includes(priority)) fail(`\`priority\` must be one of ${PRIORITIES.join(', ')}`);
  const msgid = frame.msgid;
  if (msgid !== undefined && (typeof msgid !== 'string' || msgid.length > MSGID_MAX || !TOKEN_RE.test(msgid))) {
    fail(`\`msgid\` must be 1 to ${MSGID_MAX} characters of A-Z a-z 0-9 _ . : -`);
  }
  if (frame.acknowledge !== undefined && typeof frame.acknowledge !== 'boolean') fail('`acknowledge` must be true or false');
  const event = frame.event;
  if (event !== undefined && (typeof event !== 'string' || !EVENT_RE.test(event))) fail('`event` must be 1 to 64 characters of a-z 0-9 _ . -');
  const msgno = frame.msgno;
  if (msgno !== undefined && (typeof msgno !== 'number' || !Number.isSafeInteger(msgno) || msgno < 0)) fail('`msgno` must be a non-negative integer');
  const contentBytes = frame.content === undefined ? 0 : Buffer.byteLength(JSON.stringify(frame.content));
  if (contentBytes > maxContentBytes) {
    throw new FrameError('FRAME_TOO_LARGE', `\`content\` is ${contentBytes} bytes as JSON; at most ${maxContentBytes} (MESSAGE_CONTENT_BYTES)`, context);
  }
  return {
    to: frame.to as string,
    from: (frame.from as string | undefined) ?? null,
    timestamp: (timestamp as number | undefined) ?? null,
    priority: priority as Priority,
    subject: optionalString(frame, 'subject', SUBJECT_MAX, context),
    msgid: (msgid as string | undefined) ?? null,
    acknowledge: frame.acknowledge === true,
    content: frame.content,
    contentBytes,
    action: optionalString(frame, 'action', WORD_MAX, context),
    event: (event as string | undefined) ?? null,
    status: optionalString(frame, 'status', WORD_MAX, context),
    conversationId: optionalString(frame, 'conversation_id', MSGID_MAX, context),
    msgno: (msgno as number | undefined) ?? null,
  };
}
