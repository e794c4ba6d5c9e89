/**
 * `wakelink targets` and `wakelink schedules`: the board's named targets (a MAC, where to probe
 * it, how long to watch a wake) and its wake schedules, managed with sealed commands over any
 * transport (the relay never reads them). Pages of the board's replies are fetched until `next` is null.
 */
import { parseDays, parseTimeOfDay, type CommandName, type JsonObject } from '../shared/index';
import { stringOption, type OptionSpec } from './args';
import type { CommandDef, CommandResult, Context } from './context';
import { deviceName, exchangeWithDevice } from './device-run';
import { usageError } from './errors';

/** More pages than any board has targets: a guard against a board that never says null. */
const MAX_PAGES = 32;

async function allPages(ctx: Context, name: string, command: CommandName, field: 'targets' | 'schedules'): Promise<{ items: JsonObject[]; last: JsonObject; summary: JsonObject }> {
  const items: JsonObject[] = [];
  let offset = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { inner, summary } = await exchangeWithDevice(ctx, name, command, { offset });
    items.push(...((inner[field] as JsonObject[] | undefined) ?? []));
    if (typeof inner.next !== 'number') return { items, last: inner, summary };
    offset = inner.next;
  }
  throw usageError(`${name} kept sending pages of ${field}; stopped after ${MAX_PAGES}`);
}

function table(header: readonly string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function integerOption(ctx: Context, option: string): number | undefined {
  const text = stringOption(ctx.values, option);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw usageError(`--${option} must be a whole number, got "${text}"`);
  return Number(text);
}

async function targets(ctx: Context): Promise<CommandResult> {
  const { name, words } = deviceName(ctx, 'targets');
  const [action = 'list', targetName, ...rest] = words;
  if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`);
  if (action === 'list') {
    const { items, last, summary } = await allPages(ctx, name, 'targets_list', 'targets');
    const rows = items.map((t) => [String(t.name), String(t.mac), t.host ? `${t.host}:${t.port}` : '-', String(t.wait), t.secure_on ? 'yes' : 'no']);
    return { json: { ok: true, ...summary, targets: items, max: last.max }, lines: items.length ? table(['NAME', 'MAC', 'PROBE', 'WAIT S', 'SECUREON'], rows) : [`${name} stores no targets yet (at most ${String(last.max)})`] };
  }
  if (action === 'status') {
    const { items, summary } = await allPages(ctx, name, 'status', 'targets');
    return { json: { ok: true, ...summary, targets: items }, lines: table(['NAME', 'STATE'], items.map((t) => [String(t.name), String(t.state)])) };
  }
  if (targetName === undefined) throw usageError(`targets ${action} needs a target name`);
  if (action === 'delete' || action === 'remove') {
    const { inner, summary } = await exchangeWithDevice(ctx, name, 'target_delete', { name: targetName });
    return { json: { ok: true, ...summary, response: inner }, lines: [`deleted target ${targetName} from ${name}`] };
  }
  if (action !== 'set') throw usageError(`targets takes list, status, set or delete (got "${action}")`);
  const mac = stringOption(ctx.values, 'mac');
  if (mac === undefined) throw usageError('targets set needs --mac');
  const data: JsonObject = { name: targetName, mac };
  for (const option of ['host', 'secure-on', 'broadcast'] as const) {
    const value = stringOption(ctx.values, option);
    if (value !== undefined) data[option.replace('-', '_')] = value;
  }
  for (const option of ['port', 'retries', 'wait'] as const) {
    const value = integerOption(ctx, option);
    if (value !== undefined) data[option] = value;
  }
  const { inner, summary } = await exchangeWithDevice(ctx, name, 'target_set', data);
  return { json: { ok: true, ...summary, response: inner }, lines: [`saved target ${targetName} on ${name}`] };
}

async function schedules(ctx: Context): Promise<CommandResult> {
  const { name, words } = deviceName(ctx, 'schedules');
  const [action = 'list', argument, ...rest] = words;
  if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`);
  if (action === 'list') {
    const { items, last, summary } = await allPages(ctx, name, 'schedules_list', 'schedules');
    const note = last.clock_set === false ? [`(${name} has no clock yet: schedules run once SNTP has set it)`] : [];
    const rows = items.map((s) => [String(s.id), String(s.target), String(s.at), String(s.days), String(s.utc_offset)]);
    return { json: { ok: true, ...summary, schedules: items, clock_set: last.clock_set }, lines: [...table(['ID', 'TARGET', 'AT', 'DAYS', 'UTC OFFSET MIN'], rows), ...note] };
  }
  if (action === 'delete' || action === 'remove') {
    if (argument === undefined || !/^\d+$/.test(argument)) throw usageError('schedules delete needs the schedule id (see `wakelink schedules <device> list`)');
    const { inner, summary } = await exchangeWithDevice(ctx, name, 'schedule_delete', { id: Number(argument) });
    return { json: { ok: true, ...summary, response: inner }, lines: [`deleted schedule ${argument} from ${name}`] };
  }
  if (action !== 'set') throw usageError(`schedules takes list, set or delete (got "${action}")`);
  if (argument === undefined) throw usageError('schedules set needs the target to wake');
  const at = stringOption(ctx.values, 'at');
  if (at === undefined) throw usageError('schedules set needs --at HH:MM');
  const days = stringOption(ctx.values, 'days') ?? 'daily';
  // Checked here too, for a clear message before anything is sent.
  try {
    parseTimeOfDay(at);
    parseDays(days);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  // The board keeps UTC; by default the schedule is in this computer's local time.
  const utcOffset = integerOption(ctx, 'utc-offset') ?? -new Date().getTimezoneOffset();
  const data: JsonObject = { target: argument, at, days, utc_offset: utcOffset };
  const id = integerOption(ctx, 'id');
  if (id !== undefined) data.id = id;
  const { inner, summary } = await exchangeWithDevice(ctx, name, 'schedule_set', data);
  const note = inner.clock_set === false ? ` (${name} has no clock yet: it runs once SNTP has set it)` : '';
  return { json: { ok: true, ...summary, response: inner }, lines: [`schedule ${String(inner.id)} on ${name}: wake ${argument} at ${at} ${days} (UTC${utcOffset >= 0 ? '+' : ''}${utcOffset} min)${note}`] };
}

const TARGET_OPTIONS: OptionSpec = {
  mac: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'secure-on': { type: 'string' },
  broadcast: { type: 'string' }, retries: { type: 'string' }, wait: { type: 'string' },
};
const SCHEDULE_OPTIONS: OptionSpec = { at: { type: 'string' }, days: { type: 'string' }, 'utc-offset': { type: 'string' }, id: { type: 'string' } };

export const TARGET_COMMANDS: readonly CommandDef[] = [
  {
    name: 'targets',
    aliases: ['target'],
    usage: 'wakelink targets <device> [list | status | set NAME --mac MAC [options] | delete NAME]',
    summary: 'named computers stored on the board: list, live status, set, delete',
    details: 'A target names a computer for the board: its MAC, and optionally where to probe it (--host, --port), '
      + 'so `wakelink wake <device> NAME --wait` can confirm it came up. `status` probes every target now (up, down, or unknown without a host).',
    options: TARGET_OPTIONS,
    optionHelp: [
      ['--mac MAC', 'the computer\'s MAC address'],
      ['--host ADDRESS', 'IPv4 address or LAN host name to probe after a wake'],
      ['--port N', 'TCP port to probe (default 22; e.g. 3389, 445)'],
      ['--secure-on PASSWORD', 'SecureOn password, stored on the board'],
      ['--broadcast ADDRESS', 'directed broadcast for another subnet (default: the board\'s)'],
      ['--retries N', 'magic packets re-sent while the target is still down (0..5, default 2)'],
      ['--wait SECONDS', 'how long a wake is watched (10..600, default 120)'],
    ],
    run: targets,
  },
  {
    name: 'schedules',
    aliases: ['schedule'],
    usage: 'wakelink schedules <device> [list | set TARGET --at HH:MM [--days D] | delete ID]',
    summary: 'wake schedules kept on the board: list, set, delete',
    details: 'The board wakes TARGET at HH:MM on the given days (daily, weekdays, weekends or a list such as mon,wed,fri), '
      + 'once its clock is set by SNTP. A wake missed while the board was off is not made up for.',
    options: SCHEDULE_OPTIONS,
    optionHelp: [
      ['--at HH:MM', 'time of day, 24 h'],
      ['--days D', 'daily (default), weekdays, weekends or mon,tue,...'],
      ['--utc-offset MINUTES', 'the schedule\'s time zone (default: this computer\'s, now)'],
      ['--id N', 'replace schedule N instead of adding one'],
    ],
    run: schedules,
  },
];
