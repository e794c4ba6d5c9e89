import { ErrorCodes, nameErrorClass, ProtocolError, type ErrorCode } from './errors';
import { deepFreeze, isPlainObject, type JsonObject } from './json';
import { checkTargetName, parseSchedule, parseTarget, type Schedule, type Target } from './targets';
import { parseMac, parseSecureOn } from './wol';

/** Every inner command of spec 5.1, matched case-sensitively. */
// Module-level tables are frozen: a board keeps them in flash with no RAM pointer for changes.
export const COMMAND_NAMES = Object.freeze([
  'ping', 'wake', 'info', 'restart', 'ota_start', 'open_setup', 'web_control',
  'cloud_control', 'crypto_info', 'counter_info', 'reset_counter', 'update_token',
  // WakeLink-XS: named targets, wake confirmation, target status and schedules.
  'targets_list', 'target_set', 'target_delete', 'status', 'wake_result',
  'schedules_list', 'schedule_set', 'schedule_delete',
] as const);
export type CommandName = (typeof COMMAND_NAMES)[number];

export const CONTROL_ACTIONS = Object.freeze(['status', 'enable', 'disable'] as const);
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** Commands whose data these parsers read; every other command takes none. */
type WithData = 'wake' | 'web_control' | 'cloud_control' | 'targets_list' | 'schedules_list' | 'status'
  | 'target_set' | 'target_delete' | 'wake_result' | 'schedule_set' | 'schedule_delete';

export type CommandData =
  | { command: 'wake'; mac: string; macBytes: Uint8Array; secureOn?: Uint8Array; target?: undefined }
  | { command: 'wake'; target: string; mac?: undefined }
  | { command: 'web_control' | 'cloud_control'; action: ControlAction }
  | { command: 'targets_list' | 'schedules_list' | 'status'; offset: number }
  | { command: 'target_set'; target: Target }
  | { command: 'target_delete' | 'wake_result'; name: string }
  | { command: 'schedule_set'; schedule: Schedule }
  | { command: 'schedule_delete'; id: number }
  | { command: Exclude<CommandName, WithData> };

export interface ParsedCommand {
  name: CommandName;
  args: CommandData;
  /** Echoed back last in every reply; `undefined` when the client sent none. */
  requestId: unknown;
  timestamp: unknown;
}

/**
 * A command-level failure. `details` are the extra reply fields v1.0 puts between `error` and
 * `request_id` (e.g. `command` for UNKNOWN_COMMAND).
 */
export class CommandError extends ProtocolError {
  readonly requestId: unknown;
  readonly details: JsonObject;
  constructor(code: ErrorCode, requestId: unknown, details: JsonObject = {}, message?: string) {
    super(code, message);
    this.requestId = requestId;
    this.details = details;
  }
}
nameErrorClass(CommandError, 'CommandError');

function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

function parseAction(data: JsonObject, requestId: unknown): ControlAction {
  const action = data.action;
  if (typeof action !== 'string' || action.length === 0) throw new CommandError(ErrorCodes.ACTION_REQUIRED, requestId);
  if (!(CONTROL_ACTIONS as readonly string[]).includes(action)) throw new CommandError(ErrorCodes.INVALID_ACTION, requestId);
  return action as ControlAction;
}

function parseWake(data: JsonObject, requestId: unknown): CommandData {
  const mac = data.mac;
  // Without a MAC, a stored target's name (ours); with one, exactly v1.0.
  if ((mac === undefined || mac === '') && data.target !== undefined) return { command: 'wake', target: checkTargetName(data.target) };
  if (typeof mac !== 'string' || mac.length === 0) throw new CommandError(ErrorCodes.MAC_ADDRESS_REQUIRED, requestId);
  try {
    const macBytes = parseMac(mac);
    const password = data.secure_on ?? data.password;
    if (password === undefined || password === null || password === '') return { command: 'wake', mac, macBytes };
    if (typeof password !== 'string') throw new ProtocolError(ErrorCodes.INVALID_SECUREON, 'SecureOn password must be a string');
    return { command: 'wake', mac, macBytes, secureOn: parseSecureOn(password) };
  } catch (error) {
    if (error instanceof ProtocolError) throw new CommandError(error.code, requestId, {}, error.message);
    throw error;
  }
}

/** Validates an opened inner command (spec 2.2) in v1.0's order: command, name, arguments. */
export function parseCommand(inner: JsonObject): ParsedCommand {
  const requestId = inner.request_id;
  const command = inner.command;
  if (command === undefined || command === null) throw new CommandError(ErrorCodes.NO_COMMAND, requestId);
  if (typeof command !== 'string' || command.length === 0) throw new CommandError(ErrorCodes.NO_COMMAND_IN_JSON, requestId);
  if (!isCommandName(command)) throw new CommandError(ErrorCodes.UNKNOWN_COMMAND, requestId, { command });
  const data = isPlainObject(inner.data) ? inner.data : {};
  let args: CommandData;
  try {
    args = parseData(command, data, requestId);
  } catch (error) {
    // A bad field of our commands: its code, and which field (INVALID_TARGET, "port").
    if (error instanceof ProtocolError && !(error instanceof CommandError)) {
      const field = (error as ProtocolError & { field?: unknown }).field;
      throw new CommandError(error.code, requestId, typeof field === 'string' ? { field } : {}, error.message);
    }
    throw error;
  }
  return { name: command, args, requestId, timestamp: inner.timestamp };
}

function offset(data: JsonObject): number {
  const value = data.offset;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 256 ? value : 0;
}

function parseData(command: CommandName, data: JsonObject, requestId: unknown): CommandData {
  switch (command) {
    case 'wake': return parseWake(data, requestId);
    case 'web_control':
    case 'cloud_control': return { command, action: parseAction(data, requestId) };
    case 'targets_list':
    case 'schedules_list':
    case 'status': return { command, offset: offset(data) };
    case 'target_set': return { command, target: parseTarget(data) };
    case 'target_delete':
    case 'wake_result': return { command, name: checkTargetName(data.name) };
    case 'schedule_set': return { command, schedule: parseSchedule(data) };
    case 'schedule_delete': {
      const id = data.id;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 255) throw new CommandError(ErrorCodes.INVALID_SCHEDULE, requestId, { field: 'id' });
      return { command, id };
    }
    default: return { command } as CommandData;
  }
}

/** Builds an inner command as v1.0 clients do: command, data, request_id, timestamp (seconds). */
export function buildCommand(command: string, data: JsonObject, requestId: string, timestampSeconds: number): JsonObject {
  return { command, data, request_id: requestId, timestamp: timestampSeconds };
}

type FieldType = 'string' | 'number' | 'boolean' | 'string|null' | 'number|null';
const RESPONSE_FIELDS: Readonly<Record<CommandName, Readonly<Record<string, FieldType>>>> = deepFreeze({
  ping: { result: 'string' },
  wake: { result: 'string', mac: 'string' },
  info: {
    device_id: 'string', ip: 'string', ssid: 'string', rssi: 'number', request_counter: 'number',
    crypto_enabled: 'boolean', mode: 'string', web_enabled: 'boolean', cloud_enabled: 'boolean',
    cloud_status: 'string', free_heap: 'number',
  },
  restart: { result: 'string', message: 'string' },
  ota_start: { result: 'string', timeout: 'number' },
  open_setup: { result: 'string', ssid: 'string', ip: 'string' },
  web_control: {},
  cloud_control: {},
  crypto_info: { enabled: 'boolean', request_counter: 'number', request_limit: 'number', key_info: 'string' },
  counter_info: { request_counter: 'number', request_limit: 'number' },
  reset_counter: { result: 'string' },
  update_token: { result: 'string', new_token: 'string', message: 'string' },
  targets_list: { next: 'number|null' },
  target_set: { result: 'string', name: 'string' },
  target_delete: { result: 'string', name: 'string' },
  status: { next: 'number|null' },
  wake_result: { target: 'string', state: 'string' },
  schedules_list: { next: 'number|null', clock_set: 'boolean' },
  schedule_set: { result: 'string', id: 'number' },
  schedule_delete: { result: 'string', id: 'number' },
});

function hasType(value: unknown, type: FieldType): boolean {
  if (type === 'string|null') return value === null || typeof value === 'string';
  if (type === 'number|null') return value === null || typeof value === 'number';
  return typeof value === type;
}

/**
 * Checks a decrypted device reply against the v1.0 shape of `command` (spec 5.1). Error replies
 * only need `status: "error"` and a string `error`. Returns a list of problems (empty = valid).
 */
export function validateResponse(command: CommandName, inner: JsonObject): string[] {
  const problems: string[] = [];
  if (inner.status === 'error') {
    if (typeof inner.error !== 'string') problems.push('error reply without a string "error"');
    return problems;
  }
  if (inner.status !== 'success') return ['"status" must be "success" or "error"'];
  for (const [field, type] of Object.entries(RESPONSE_FIELDS[command])) {
    if (!hasType(inner[field], type)) problems.push(`"${field}" must be ${type}`);
  }
  if (command === 'update_token' && typeof inner.new_token === 'string' && inner.new_token.length < 32) {
    problems.push('"new_token" shorter than 32 characters');
  }
  return problems;
}
