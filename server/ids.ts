import { randomBytes } from 'node:crypto';

/**
 * Identifiers of the routing core (issue 13). The prefixes keep the id spaces apart from each
 * other and from device ids (`WL…`) and UUIDs, so one `to` field can take any of them.
 * 80 random bits: unguessable, although ownership, not secrecy, is what protects an endpoint.
 */
export const ENDPOINT_ID_PATTERN = '^ep_[0-9a-f]{20}$';
/** A connection-scoped endpoint: a client socket that is not a registered endpoint (a v1.0 client). */
export const CONNECTION_ENDPOINT_ID_PATTERN = '^ec_[0-9a-f]{20}$';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const ENDPOINT_ID_RE = new RegExp(ENDPOINT_ID_PATTERN);
const CONNECTION_ENDPOINT_ID_RE = new RegExp(CONNECTION_ENDPOINT_ID_PATTERN);
const UUID_RE = new RegExp(UUID_PATTERN);

export const newEndpointId = (): string => `ep_${randomBytes(10).toString('hex')}`;
export const newConnectionEndpointId = (): string => `ec_${randomBytes(10).toString('hex')}`;
/** Relay-chosen msgid for a message sent without one. */
export const newMsgid = (): string => `m_${randomBytes(9).toString('base64url')}`;

export const isEndpointId = (value: string): boolean => ENDPOINT_ID_RE.test(value);
export const isConnectionEndpointId = (value: string): boolean => CONNECTION_ENDPOINT_ID_RE.test(value);
export const isUuid = (value: string): boolean => UUID_RE.test(value);
