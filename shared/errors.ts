/**
 * One table of every error code the protocol core can raise.
 * Codes marked v1 are the exact strings deployed v1.0 firmware puts in `error` (spec table 2.4);
 * the rest are WakeLink-XS extensions for cases v1.0 silently accepted.
 */
export const ErrorCodes = Object.freeze({
  JSON_PARSE: 'JSON_PARSE', // v1: outer JSON unparsable
  BAD_PACKET: 'BAD_PACKET', // v1: version != "1.0" or empty payload/signature
  INVALID_SIGNATURE: 'INVALID_SIGNATURE', // v1: HMAC mismatch
  CRYPTO_DISABLED: 'ERROR:CRYPTO_DISABLED', // v1: device token shorter than 32 characters
  LIMIT_EXCEEDED: 'ERROR:LIMIT_EXCEEDED', // v1: usage cap reached (we never lock out, kept for clients)
  HEX_LEN: 'ERROR:HEX_LEN', // v1: odd hex length
  INVALID_PACKET_SIZE: 'ERROR:INVALID_PACKET_SIZE', // v1: < 22 bytes or size != 2+L+16
  INVALID_DATA_LENGTH: 'ERROR:INVALID_DATA_LENGTH', // v1: L = 0 or L > 500
  INVALID_JSON: 'INVALID_JSON', // v1: inner JSON unparsable
  NO_COMMAND: 'NO_COMMAND', // v1
  NO_COMMAND_IN_JSON: 'NO_COMMAND_IN_JSON', // v1: command empty or not a string
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND', // v1
  MAC_ADDRESS_REQUIRED: 'MAC_ADDRESS_REQUIRED', // v1
  ACTION_REQUIRED: 'ACTION_REQUIRED', // v1
  INVALID_ACTION: 'INVALID_ACTION', // v1
  CANNOT_DISABLE_IN_AP_MODE: 'CANNOT_DISABLE_IN_AP_MODE', // v1
  // Extensions (v1.0 had no such check):
  HEX_CHAR: 'ERROR:HEX_CHAR', // payload contains a non-hex character
  INVALID_MAC: 'INVALID_MAC_ADDRESS', // malformed MAC (v1.0 reported wol_sent, spec B7)
  INVALID_SECUREON: 'INVALID_SECUREON_PASSWORD', // SecureOn password not 6 bytes
  REPLAY_DETECTED: 'REPLAY_DETECTED', // nonce or request_id seen before
  STALE_TIMESTAMP: 'STALE_TIMESTAMP', // timestamp outside the freshness window
  TIMESTAMP_REQUIRED: 'TIMESTAMP_REQUIRED', // state-changing command without a Unix-seconds timestamp (replayable after a reboot)
  INVALID_NONCE: 'INVALID_NONCE', // nonce block is not 16 bytes
  NO_RANDOM_SOURCE: 'NO_RANDOM_SOURCE', // a backend without injected randomness was asked for bytes
  INVALID_ARGUMENT: 'INVALID_ARGUMENT', // wrong type or range handed to a core function
  // Named targets, confirmation and schedules (commands v1.0 did not have):
  INVALID_TARGET: 'INVALID_TARGET', // a target field is missing or out of range (`field` says which)
  TARGET_NOT_FOUND: 'TARGET_NOT_FOUND', // no target of that name
  TARGETS_FULL: 'TARGETS_FULL', // the board stores no more targets (`max` says how many)
  INVALID_SCHEDULE: 'INVALID_SCHEDULE', // a schedule field is missing or out of range (`field`)
  SCHEDULE_NOT_FOUND: 'SCHEDULE_NOT_FOUND', // no schedule with that id
  SCHEDULES_FULL: 'SCHEDULES_FULL', // the board stores no more schedules (`max`)
  BUSY: 'BUSY', // as many wake confirmations or probes are running as the board allows
} as const);

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The single error type of `shared/`: `code` is what goes on the wire, `message` is for humans. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? code);
    this.code = code;
  }
}
nameErrorClass(ProtocolError, 'ProtocolError');

/**
 * Gives an Error subclass its `name` on the prototype. Never `this.name = …` in a constructor: in a
 * Moddable image the intrinsics are frozen, `name` is inherited from the frozen Error.prototype,
 * and assigning it throws "set name: not writable" (which turned every refused packet into an
 * abort). Defining it on our own prototype, when the module body runs, works everywhere.
 */
export function nameErrorClass(errorClass: { prototype: Error }, name: string): void {
  Object.defineProperty(errorClass.prototype, 'name', { value: name, writable: false, enumerable: false, configurable: true });
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
