/** Named targets and schedules: every field checked, a bad one named (INVALID_TARGET / INVALID_SCHEDULE). */
import { describe, expect, it } from 'vitest';
import {
  CommandError, ErrorCodes, formatDays, parseCommand, parseDays, parseSchedule, parseTarget, parseTimeOfDay, targetFields,
} from '../../shared/index';

function refusal(inner: Record<string, unknown>): { code: string; details: unknown } {
  try {
    parseCommand(inner);
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return { code: (error as CommandError).code, details: (error as CommandError).details };
  }
  throw new Error('expected a refusal');
}

describe('targets', () => {
  it('normalises a full target and fills the defaults', () => {
    expect(parseTarget({ name: 'desk-1', mac: 'aa-bb-cc-dd-ee-ff', host: '192.168.1.50', port: 3389, secure_on: '010203040506', broadcast: '192.168.2.255', retries: 0, wait: 30 }))
      .toEqual({ name: 'desk-1', mac: 'AA:BB:CC:DD:EE:FF', host: '192.168.1.50', port: 3389, secureOn: '01:02:03:04:05:06', broadcast: '192.168.2.255', retries: 0, waitSeconds: 30 });
    expect(parseTarget({ name: 'nas', mac: 'AABBCCDDEEFF' })).toEqual({ name: 'nas', mac: 'AA:BB:CC:DD:EE:FF', host: '', port: 22, secureOn: '', broadcast: '', retries: 2, waitSeconds: 120 });
  });

  it('never sends the SecureOn password back', () => {
    expect(targetFields(parseTarget({ name: 'nas', mac: 'AABBCCDDEEFF', secure_on: '010203040506' }))).toMatchObject({ secure_on: true });
  });

  it.each([
    [{ mac: 'AABBCCDDEEFF' }, 'name'],
    [{ name: 'a'.repeat(17), mac: 'AABBCCDDEEFF' }, 'name'],
    [{ name: 'has space', mac: 'AABBCCDDEEFF' }, 'name'],
    [{ name: 'x', mac: 'nope' }, 'mac'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', host: 'bad host' }, 'host'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', host: 'h'.repeat(33) }, 'host'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', port: 0 }, 'port'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', port: 70000 }, 'port'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', broadcast: '300.1.1.1' }, 'broadcast'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', retries: 6 }, 'retries'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', wait: 5 }, 'wait'],
    [{ name: 'x', mac: 'AABBCCDDEEFF', secure_on: '12' }, 'secure_on'],
  ])('target_set %j is refused naming %s', (data, field) => {
    expect(refusal({ command: 'target_set', data, request_id: 'r' })).toEqual({ code: ErrorCodes.INVALID_TARGET, details: { field } });
  });

  it('wake takes a target name when there is no MAC; with a MAC it is v1.0 wake', () => {
    expect(parseCommand({ command: 'wake', data: { target: 'desk' } }).args).toEqual({ command: 'wake', target: 'desk' });
    expect(parseCommand({ command: 'wake', data: { mac: 'AABBCCDDEEFF', target: 'desk' } }).args).toMatchObject({ mac: 'AABBCCDDEEFF' });
    expect(refusal({ command: 'wake', data: {} }).code).toBe(ErrorCodes.MAC_ADDRESS_REQUIRED);
    expect(refusal({ command: 'wake', data: { target: '' } }).code).toBe(ErrorCodes.INVALID_TARGET);
  });
});

describe('schedules', () => {
  it('parses times, day sets and offsets', () => {
    expect(parseTimeOfDay('07:30')).toBe(450);
    expect(parseDays('weekdays')).toBe(0x3e);
    expect(parseDays('mon,wed,FRI')).toBe(0b0101010);
    expect(formatDays(0x7f)).toBe('daily');
    expect(formatDays(0b0101010)).toBe('mon,wed,fri');
    expect(parseSchedule({ target: 'desk', at: '23:59', days: 'sun', utc_offset: 60 })).toEqual({ id: 0, target: 'desk', minute: 1439, days: 1, utcOffset: 60 });
  });

  it.each([
    [{ at: '07:30', days: 'daily' }, 'target'],
    [{ target: 'desk', at: '24:00', days: 'daily' }, 'at'],
    [{ target: 'desk', at: '7:30', days: 'daily' }, 'at'],
    [{ target: 'desk', at: '07:30', days: 'someday' }, 'days'],
    [{ target: 'desk', at: '07:30', days: '' }, 'days'],
    [{ target: 'desk', at: '07:30', days: 'daily', utc_offset: 900 }, 'utc_offset'],
  ])('schedule_set %j is refused naming %s', (data, field) => {
    expect(refusal({ command: 'schedule_set', data, request_id: 'r' })).toEqual({ code: ErrorCodes.INVALID_SCHEDULE, details: { field } });
  });
});
