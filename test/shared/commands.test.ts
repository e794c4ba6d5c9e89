import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, CommandError, ErrorCodes, parseCommand, validateResponse } from '../../shared/index';

function failure(inner: Record<string, unknown>): { code: string; requestId: unknown; details: unknown } {
  try {
    parseCommand(inner);
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    const e = error as CommandError;
    return { code: e.code, requestId: e.requestId, details: e.details };
  }
  throw new Error('expected a CommandError');
}

describe('parseCommand: v1.0 order and codes (table 2.4)', () => {
  it('accepts every command of spec 5.1 with its data', () => {
    for (const name of COMMAND_NAMES) {
      const data = ({
        wake: { mac: 'AA:BB:CC:DD:EE:FF' },
        target_set: { name: 'desk', mac: 'AA:BB:CC:DD:EE:FF' },
        target_delete: { name: 'desk' },
        wake_result: { name: 'desk' },
        schedule_set: { target: 'desk', at: '07:30', days: 'weekdays' },
        schedule_delete: { id: 1 },
      } as Record<string, Record<string, unknown>>)[name] ?? (name.endsWith('_control') ? { action: 'status' } : {});
      expect(parseCommand({ command: name, data, request_id: 'r1' }).name).toBe(name);
    }
  });
  it('substitutes {} for missing or non-object data', () => {
    expect(parseCommand({ command: 'ping', data: 'x' }).args).toEqual({ command: 'ping' });
  });
  it.each([
    [{ request_id: 'r' }, ErrorCodes.NO_COMMAND],
    [{ command: null, request_id: 'r' }, ErrorCodes.NO_COMMAND],
    [{ command: '', request_id: 'r' }, ErrorCodes.NO_COMMAND_IN_JSON],
    [{ command: 5, request_id: 'r' }, ErrorCodes.NO_COMMAND_IN_JSON],
    [{ command: 'PING', request_id: 'r' }, ErrorCodes.UNKNOWN_COMMAND],
    [{ command: 'wake', data: {}, request_id: 'r' }, ErrorCodes.MAC_ADDRESS_REQUIRED],
    [{ command: 'wake', data: { mac: 7 }, request_id: 'r' }, ErrorCodes.MAC_ADDRESS_REQUIRED],
    [{ command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:GG' }, request_id: 'r' }, ErrorCodes.INVALID_MAC],
    [{ command: 'wake', data: { mac: 'AA:BB:CC:DD:EE:FF', secure_on: 'x' }, request_id: 'r' }, ErrorCodes.INVALID_SECUREON],
    [{ command: 'web_control', data: {}, request_id: 'r' }, ErrorCodes.ACTION_REQUIRED],
    [{ command: 'cloud_control', data: { action: 'reboot' }, request_id: 'r' }, ErrorCodes.INVALID_ACTION],
  ])('%j -> %s, request_id echoed', (inner, code) => {
    const f = failure(inner);
    expect(f.code).toBe(code);
    expect(f.requestId).toBe('r');
  });
  it('UNKNOWN_COMMAND carries the command name as v1.0 does', () => {
    expect(failure({ command: 'selfdestruct' }).details).toEqual({ command: 'selfdestruct' });
  });
  it('parses an optional SecureOn password for wake', () => {
    const parsed = parseCommand({ command: 'wake', data: { mac: 'aabbccddeeff', secure_on: '01-02-03-04-05-06' } });
    expect(parsed.args.command === 'wake' && parsed.args.target === undefined && Array.from(parsed.args.secureOn ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('validateResponse', () => {
  it('accepts v1.0 replies and names what is wrong otherwise', () => {
    expect(validateResponse('ping', { status: 'success', result: 'pong', request_id: 'x' })).toEqual([]);
    expect(validateResponse('wake', { status: 'error', error: 'MAC_ADDRESS_REQUIRED' })).toEqual([]);
    expect(validateResponse('counter_info', { status: 'success', request_counter: '1' })).toEqual([
      '"request_counter" must be number',
      '"request_limit" must be number',
    ]);
    expect(validateResponse('update_token', { status: 'success', result: 'token_updated', new_token: 'short', message: '' })).toEqual([
      '"new_token" shorter than 32 characters',
    ]);
  });
});
