/** Public API of the WakeLink protocol core: runs unchanged on Node and on XS. */
export { ErrorCodes, ProtocolError, isProtocolError, nameErrorClass, type ErrorCode } from './errors';
export { toHex, fromHex, isHex, utf8Encode, utf8Decode, concatBytes } from './bytes';
export { deepFreeze, isPlainObject, parseJsonObject, type JsonObject } from './json';
export { createReferenceCrypto, referenceCrypto, type CryptoBackend } from './crypto/backend';
export { sha256 } from './crypto/sha256';
export { hmacWith } from './crypto/hmac';
export { chacha20 } from './crypto/chacha20';
export { constantTimeEqual } from './crypto/compare';
export {
  PROTOCOL_VERSION, MIN_TOKEN_LENGTH, MAX_PLAINTEXT_BYTES, MIN_PLAINTEXT_BYTES, NONCE_BLOCK_BYTES, MIN_PACKET_BYTES,
  MAX_PACKET_BYTES, MAX_PAYLOAD_HEX, SIGNATURE_HEX,
  deriveKey, sealPacket, openPacket, openPacketText, parseEnvelope,
  type Envelope, type SealOptions, type OpenOptions, type OpenedPacket,
} from './packet';
export {
  COMMAND_NAMES, CONTROL_ACTIONS, CommandError, parseCommand, buildCommand, validateResponse,
  type CommandName, type ControlAction, type CommandData, type ParsedCommand,
} from './commands';
export { FreshnessGuard, isPlausibleUnixSeconds, type FreshnessOptions, type FreshnessInput } from './freshness';
export { DEVICE_ID_PATTERN, DEVICE_ID_MAX_LENGTH, DEVICE_ID_RULE, isDeviceId, deviceIdFromChip, chipIdFromDeviceId } from './device-id';
export { MAGIC_PACKET_BYTES, SECURE_ON_BYTES, parseMac, formatMac, parseSecureOn, buildMagicPacket } from './wol';
export {
  TARGET_NAME_MAX, TARGET_HOST_MAX, TARGET_RETRIES_MAX, TARGET_WAIT_MIN, TARGET_WAIT_MAX, TARGET_PORT_DEFAULT,
  checkTargetName, parseTarget, targetFields, parseSchedule, scheduleFields, parseTimeOfDay, formatTimeOfDay, parseDays, formatDays,
  type Target, type Schedule,
} from './targets';
