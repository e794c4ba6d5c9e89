/**
 * The routing protocol's frames (issue 13) for /docs: component schemas, listed per WebSocket
 * endpoint by websocket-docs.ts, and the prose of how subscriptions, presence, events, messages,
 * commands and signaling behave. Kept next to the codec (routing/codec.ts) and builders
 * (routing/frames.ts) that they describe.
 */
import { DEVICE_ID_PATTERN } from '../../shared/index';
import { ERROR_TABLE, wireCode, type RelayErrorCode } from '../errors';
import { LIMITS } from '../limits';
import { ENDPOINT_KINDS } from '../store/types';

const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const int = (description: string) => ({ type: 'integer', description });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const type = (...values: string[]) => ({ type: 'string', enum: values });
const target = str('an endpoint id (ep_…), a connection endpoint id (ec_…), a board\'s device id (WL…) or an endpoint uuid, of your account');
const id = str('optional correlation id (1–64 of A-Z a-z 0-9 _ . : -), echoed on the ack or error');
const timestamp = int('milliseconds since the epoch (relay clock)');
const deviceId = { type: 'string', pattern: DEVICE_ID_PATTERN, description: 'present when the endpoint is a board' };
const eventName = str('1–64 of a-z 0-9 _ . -', { pattern: '^[a-z0-9_.-]{1,64}$' });

/** The routing protocol's error codes, for the error frame's enum. */
const ROUTING_ERRORS: RelayErrorCode[] = [
  'ENDPOINT_NOT_FOUND', 'TARGET_OFFLINE', 'UNSUPPORTED_TARGET', 'FORGED_FROM', 'INVALID_FRAME', 'UNKNOWN_TYPE', 'FRAME_TOO_LARGE', 'MAILBOX_FULL',
  'UNKNOWN_MSGID', 'SUBSCRIPTION_LIMIT', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'INTERNAL',
  'NO_PAIRED_HOST', 'PAIRING_CODE_INVALID', 'PAIRING_NEEDS_ENDPOINT', 'PAIRING_CODE_LIMIT',
];

const envelope = {
  to: target,
  from: str('optional; if given it must be your own endpoint id or uuid, else forged_from'),
  timestamp: int('optional, ms since the epoch; the relay\'s when absent'),
  priority: type('low', 'normal', 'high'),
  subject: str('optional, at most 256 characters'),
  msgid: str('optional, 1–128 of A-Z a-z 0-9 _ . : -; the relay makes one up when absent. The same msgid again from the same sender is a duplicate (receipt duplicate: true), never stored twice'),
  acknowledge: { type: 'boolean', description: 'true: the recipient\'s ack is routed back to you' },
  content: { description: `any JSON value, at most ${LIMITS.messageContentBytes} bytes (MESSAGE_CONTENT_BYTES); never read by the relay (encrypt it to the recipient's public_key)` },
  action: str('optional, at most 64 characters'),
  event: eventName,
  status: str('optional, at most 64 characters'),
  conversation_id: str('optional, at most 128 characters'),
  msgno: int('optional, non-negative'),
};

export const ROUTING_FRAME_SCHEMAS = {
  WsSubscribe: {
    type: 'object', required: ['type', 'endpoints'], description: 'Follow endpoints\' presence and events (client sockets). All or nothing: one endpoint that is not yours and nothing changes. Answered with WsSubscribed',
    properties: {
      type: type('subscribe', 'unsubscribe'), id,
      endpoints: { description: `"*" (every endpoint of the account, now and later), "boards" (every board), or a list of at most ${LIMITS.subscriptionsPerSocket} endpoints (SUBSCRIPTIONS_PER_SOCKET)`, oneOf: [type('*', 'boards'), { type: 'array', items: target }] },
    },
  },
  WsSubscribed: {
    type: 'object', description: 'What this connection now follows, with the presence of each endpoint; `self` is this connection\'s own endpoint id',
    properties: {
      type: type('subscribed'), id, self: str('this connection\'s endpoint id'), scopes: { type: 'array', items: type('all', 'boards') },
      endpoints: { type: 'array', items: { type: 'object', properties: { endpoint: str('endpoint id'), device_id: deviceId, kind: type(...ENDPOINT_KINDS), name: str('its name'), online: { type: 'boolean' } } } },
    },
  },
  WsPresence: {
    type: 'object', description: 'To subscribers of an endpoint when it connects or its last socket closes (a replacing socket, F12, changes nothing)',
    properties: { type: type('presence'), endpoint: str('endpoint id'), device_id: deviceId, kind: type(...ENDPOINT_KINDS), online: { type: 'boolean' }, timestamp },
  },
  WsPublishEvent: {
    type: 'object', required: ['type', 'event', 'content'], additionalProperties: false,
    description: `Publish an event, on any socket (boards: their device socket). At most ${LIMITS.eventsPerSecond}/s, burst ${LIMITS.eventBurst} (EVENTS_PER_SECOND, EVENT_BURST). Never stored; a board's event is no reply to a command`,
    properties: { type: type('event'), event: eventName, content: { description: `any JSON value (boards: a sealed v1.0 envelope), at most ${LIMITS.eventContentBytes} bytes (EVENT_CONTENT_BYTES)` } },
  },
  WsEvent: {
    type: 'object', description: 'An event, to every connection of the publisher\'s account subscribed to it (never to the publisher); `content` exactly as published',
    properties: { type: type('event'), from: str('publisher\'s endpoint id'), device_id: deviceId, event: eventName, content: {}, timestamp },
  },
  WsSendMessage: { type: 'object', required: ['type', 'to'], additionalProperties: false, description: 'A message to another endpoint: the 13-field envelope, each field checked; any other field is refused by name', properties: { type: type('message'), ...envelope } },
  WsMessage: {
    type: 'object', description: 'A message as its recipient gets it (at least once: ack its msgid with WsMessageAck, or it comes again on the next connection)',
    properties: { type: type('message'), ...envelope, from: str('the sender\'s endpoint id, set by the relay'), msgid: str('as sent, or made up by the relay') },
  },
  WsReceipt: {
    type: 'object', description: `To a message's sender: \`stored\` (committed to the recipient's mailbox, kept ${LIMITS.messageTtlMs / 3_600_000} h: MESSAGE_TTL_SECONDS), \`delivered\` (written to the recipient's socket; now or later), \`expired\` (its TTL passed first)`,
    properties: { type: type('receipt'), msgid: str('the message'), to: str('recipient endpoint id'), status: type('delivered', 'stored', 'expired'), duplicate: { type: 'boolean', description: 'a msgid you had sent before' }, timestamp },
  },
  WsMessageAck: {
    type: 'object', required: ['type', 'msgid'], additionalProperties: false, description: 'From a recipient: the message is done; it leaves the mailbox, and its sender gets WsRoutedAck if it asked (acknowledge: true)',
    properties: { type: type('ack'), msgid: str('of the message received on this connection'), status: str('optional, at most 64 characters, passed to the sender') },
  },
  WsRoutedAck: {
    type: 'object', description: 'The recipient\'s ack of your message, same msgid; stored for you while you are offline (delivered once)',
    properties: { type: type('ack'), msgid: str('your message'), from: str('recipient endpoint id'), to: str('your endpoint id'), status: str('the recipient\'s, when given'), timestamp },
  },
  WsCommand: {
    type: 'object', required: ['type', 'packet'], additionalProperties: false,
    description: 'A sealed v1.0 command to a board of your account, live only: an offline board is target_offline at once (a bare v1.0 packet is still queued, as in v1.0). '
      + 'Without `to` it goes to this endpoint\'s paired host (`no paired host` when there is none). Acked with WsDelivered; the reply comes as WsResponse, in either order',
    properties: { type: type('command'), to: { ...target, description: `${target.description}; absent: your paired host` }, id, packet: ref('WsPacket') },
  },
  WsPairRequest: {
    type: 'object', required: ['type'], additionalProperties: false,
    description: `Ask for a pairing code (registered endpoints and boards): this endpoint becomes the host once another endpoint of the account confirms the code. At most ${LIMITS.pairingCodesPerAccount} codes wait per account (PAIRING_CODES_PER_ACCOUNT, then code_limit). Answered with WsPairCode`,
    properties: { type: type('pair_request'), id },
  },
  WsPairCode: {
    type: 'object', description: `A 6-digit code from the CSPRNG, single use, valid ${LIMITS.pairingCodeTtlMs / 1000} s (PAIRING_CODE_TTL_SECONDS); show it to the user of the other endpoint`,
    properties: { type: type('pair_code'), id, code: str('six digits', { pattern: '^[0-9]{6}$' }), expires_in_seconds: int('PAIRING_CODE_TTL_SECONDS') },
  },
  WsPairConfirm: {
    type: 'object', required: ['type', 'code'], additionalProperties: false,
    description: `Confirm a code another endpoint of the account was given; this endpoint becomes its client (replacing an earlier pairing of it). Every failure is \`invalid_code\`: wrong, expired, used, `
      + `burned, or over the budgets of wrong codes per minute (${LIMITS.pairingFailuresPerAccount} per account, ${LIMITS.pairingFailuresPerAddress} per address, ${LIMITS.pairingFailuresGlobal} relay-wide); `
      + `a waiting code is burned after ${LIMITS.pairingFailuresPerCode} wrong codes in its account (PAIRING_FAILURES_*)`,
    properties: { type: type('pair_confirm'), id, code: str('the code, as a string: "448826"') },
  },
  WsPaired: {
    type: 'object', description: 'To the confirming endpoint (and to the host, if connected): the two are paired',
    properties: {
      type: type('paired'), id, status: type('paired'), pairing_id: str('pr_…; listed and removed at /api/pairings'),
      host_device_id: str('the host\'s device id when it is a board, else its endpoint id'), host_endpoint: str('host endpoint id'), client_endpoint: str('client endpoint id'),
    },
  },
  WsResponse: {
    type: 'object', description: 'A board\'s reply to your WsCommand',
    properties: { type: type('response'), from: str('board endpoint id'), device_id: deviceId, id, packet: ref('WsPacket') },
  },
  WsSignal: {
    type: 'object', required: ['type', 'target_device_id', 'payload'], additionalProperties: false,
    description: `WebRTC signaling to another (non-board) endpoint of your account, live only; frames up to ${LIMITS.wsMaxPayloadBytes} bytes (WS_MAX_FRAME_BYTES), a larger one is frame_too_large and the socket stays usable. The target gets the same type with \`from\`; you get WsDelivered or an error`,
    properties: {
      type: type('offer', 'answer', 'ice-candidate'), target_device_id: target, id,
      payload: { type: 'object', description: 'offer/answer: {sdp, type: "offer"|"answer"} (type as the frame\'s); ice-candidate: {candidate, sdpMid?, sdpMLineIndex?}; passed on as sent' },
    },
  },
  WsSignalDelivery: {
    type: 'object', description: 'A signaling frame from another endpoint: answer with `target_device_id` = its `from`',
    properties: { type: type('offer', 'answer', 'ice-candidate'), from: str('sender endpoint id'), from_device_id: deviceId, payload: { type: 'object' }, timestamp },
  },
  WsDelivered: {
    type: 'object', description: 'The relay wrote your command or signaling frame to its target\'s socket',
    properties: { type: type('ack'), of: type('command', 'offer', 'answer', 'ice-candidate'), id, target_device_id: str('target endpoint id'), device_id: deviceId, message: str('"Message delivered to <endpoint id>"') },
  },
  WsPing: { type: 'object', required: ['type'], description: 'On every socket; answered with WsPong', properties: { type: type('ping'), id } },
  WsPong: { type: 'object', properties: { type: type('pong'), id, timestamp } },
  WsRoutedError: {
    type: 'object', required: ['type', 'error', 'detail'], description: 'A refused routing-protocol frame; the socket stays open. Besides `detail`, what the frame was about: id, msgid, to, target_device_id, endpoint or event',
    properties: {
      type: type('error'), error: { type: 'string', enum: ROUTING_ERRORS.map(wireCode) }, detail: str('what was wrong, precisely'),
      id, msgid: str('the message\'s'), to: str('as named'), target_device_id: str('as named'), endpoint: str('the subscription entry that is not yours'), event: str('the event name, as sent'),
    },
  },
} as const;

const codes = ROUTING_ERRORS.map((code) => `\`${wireCode(code)}\` (${ERROR_TABLE[code].message})`).join(', ');

/** How the protocol behaves, for the client socket's description. */
export const ROUTING_TEXT = `**Routing protocol (issue 13).** Besides v1.0 packets, a client socket speaks typed frames. `
  + 'A client socket is an endpoint: `client_id` = one of your registered endpoints (its id or uuid, `/api/endpoints`) makes it that endpoint (its welcome says `endpoint`; stored mail follows it); '
  + 'any other id (a v1.0 CLI\'s `cli_…`) is a connection-scoped endpoint of kind `client` (`ec_…`) for as long as it is open. Newest socket of an endpoint wins (4001 to the older). '
  + 'A v1.0 client that sends no typed frame receives nothing new: presence and events go to subscribers only, messages and signaling only to sockets that spoke the protocol. '
  + '**Subscribe** with `{"type":"subscribe","endpoints":"boards"}` (every board of the account), `"*"` (every endpoint) or a list; you then get WsPresence and WsEvent frames of those endpoints. '
  + '**Events**: any socket publishes `{"type":"event","event":name,"content":JSON}`; a board does it on its device socket (e.g. wake confirmations), and its events are never taken for replies. '
  + '**Messages**: committed to the recipient\'s mailbox before the receipt, written when its in-flight window allows '
  + `(${LIMITS.messagesInFlight} unacked: MESSAGES_IN_FLIGHT; ${LIMITS.messageQueueCap} waiting: MESSAGE_QUEUE_CAP, then mailbox_full), in order per sender, deleted when the recipient acks the msgid: at least once, duplicates recognisable by msgid. `
  + 'Connection-scoped endpoints have no mailbox beyond their connection. Boards take commands, not messages. '
  + '**Commands**: `{"type":"command","to":board,"packet":…}` (live only) or a bare v1.0 packet (queued when offline, v1.0). '
  + '**Signaling**: offer, answer, ice-candidate (WsSignal). '
  + '**Pairing** (issue 14): one endpoint sends `{"type":"pair_request"}` and gets `{"type":"pair_code","code":"448826","expires_in_seconds":600}`; another endpoint of the account sends `{"type":"pair_confirm","code":"448826"}` '
  + 'and gets `{"type":"paired","status":"paired","pairing_id":…,"host_device_id":…}`. Then the client\'s `{"type":"command","packet":…}` without `to` goes to its host (`no paired host` when none, `target_offline` when it is offline), '
  + 'and the host\'s events reach its paired clients without a subscription. Every command, message, ack, event, signal and pairing is in `/api/history`. '
  + `Routing error codes: ${codes}.`;

export const BOARD_TEXT = 'A board may also send `{"type":"event","event":"<name>","content":<JSON>}` (WsPublishEvent; name 1–64 of a-z 0-9 _ . -, content bounded by EVENT_CONTENT_BYTES), '
  + 'which every client of the account subscribed to the board, and every client paired with it, receives as WsEvent with `from` (its endpoint id) and `device_id`; `{"type":"pair_request"}` (WsPairCode: the board becomes a pairing host); and `{"type":"ping"}` (WsPong). '
  + 'A refused event is answered with WsRoutedError (the board may ignore it). Presence: the board is online while this socket is open.';
