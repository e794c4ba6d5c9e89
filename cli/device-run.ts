import { validateResponse, type CommandName, type JsonObject } from '../shared/index';
import { waitForWake } from './wake-wait';
import { stringOption, TIMEOUT_RANGE_TEXT, type OptionSpec } from './args';
import type { CommandDef, CommandResult, Context } from './context';
import { DEVICE_COMMANDS, buildWireRequest, type DeviceCommandSpec } from './device-commands';
import { CliError, usageError } from './errors';
import { keyFromToken, sealRequest } from './exchange';
import { checkToken } from './management';
import { bearerForRelay } from './relay-auth';
import { RelayStore } from './relays';
import { DeviceStore, deviceIdOf, resolveTarget, type CloudTarget, type TransportName } from './store';
import { exchangeHttp } from './transport/http';
import { exchangeTcp } from './transport/tcp';
import type { DeviceReply } from './transport/types';
import { exchangeWss } from './transport/wss';

/** Default budgets per transport: v1.0's 10 s on TCP; a relay round trip may include a 30 s long poll. */
export const DEFAULT_TIMEOUT_MS: Record<TransportName, number> = { tcp: 10_000, http: 35_000, wss: 30_000 };

/** Finds the token for a cloud target: the entry's own, else the saved login for that relay (a session is refreshed if needed). */
async function apiTokenFor(ctx: Context, name: string, target: CloudTarget): Promise<string> {
  if (target.apiToken) return target.apiToken;
  if (!RelayStore.load(ctx.home).get(target.httpBase!)) {
    throw new CliError('RELAY_AUTH', `no API token for relay ${target.httpBase}: run \`wakelink login --relay ${target.httpBase}\` or \`wakelink update ${name} --api-token TOKEN\``);
  }
  return bearerForRelay({ ...ctx, values: {} }, target.httpBase!);
}

/** One command's round trip, with its success reply; the device's error reply is a DEVICE_ERROR. */
export interface DeviceExchange {
  inner: JsonObject;
  summary: { device: string; device_id: string; command: string; via: string; request_id: string; request_counter: unknown };
  store: DeviceStore;
}

/** Seals `command` for the saved device `name`, sends it over its transport and opens the reply. */
export async function exchangeWithDevice(ctx: Context, name: string, command: CommandName, data: JsonObject): Promise<DeviceExchange> {
  const store = DeviceStore.load(ctx.home);
  const entry = store.get(name);
  const target = resolveTarget(name, entry, ctx.flags.via);
  const deviceId = deviceIdOf(name, entry);
  const key = keyFromToken(name, entry.token);
  const timeoutMs = ctx.flags.timeoutMs ?? DEFAULT_TIMEOUT_MS[target.transport];
  const request = sealRequest(deviceId, key, command, data);
  const options = { deviceName: name, request, timeoutMs, progress: ctx.progress };

  let reply: DeviceReply;
  if (target.transport === 'tcp') reply = await exchangeTcp(target.host, target.port, options);
  else if (target.transport === 'http') reply = await exchangeHttp(target.httpBase!, await apiTokenFor(ctx, name, target), options);
  else reply = await exchangeWss(target.wssBase!, await apiTokenFor(ctx, name, target), options);

  const inner = reply.inner;
  const summary = {
    device: name,
    device_id: deviceId,
    command,
    via: reply.via,
    request_id: request.requestId,
    request_counter: reply.requestCounter ?? null,
  };
  if (inner.status !== 'success') {
    const code = typeof inner.error === 'string' ? inner.error : 'UNKNOWN_ERROR';
    const why = typeof inner.message === 'string' ? ` (${inner.message})` : typeof inner.field === 'string' ? ` (field ${inner.field})` : '';
    throw new CliError('DEVICE_ERROR', `${name} answered ${command} with error ${code}${why}`, { ...summary, response: inner });
  }
  for (const problem of validateResponse(command, inner)) ctx.warn(`reply does not look like a ${command} reply: ${problem}`);
  return { inner, summary, store };
}

export function deviceName(ctx: Context, command: string): { name: string; words: string[] } {
  const [name, ...words] = ctx.positionals;
  if (name === undefined) throw usageError(`${command} needs a device name (see \`wakelink ${command} --help\`)`);
  return { name, words };
}

async function runDeviceCommand(spec: DeviceCommandSpec, ctx: Context): Promise<CommandResult> {
  const { name, words } = deviceName(ctx, spec.name);
  const wire = buildWireRequest(spec, words, stringOption(ctx.values, 'secure-on'));
  if (ctx.values.wait === true) return waitForWake(ctx, name, wire);
  const { inner, summary, store } = await exchangeWithDevice(ctx, name, wire.command, wire.data);
  const reply = { requestCounter: summary.request_counter, via: summary.via };
  const deviceId = summary.device_id;

  const shown: JsonObject = { ...inner };
  if (wire.command === 'update_token') saveNewToken(ctx, store, name, inner, shown);
  return {
    json: { ok: true, ...summary, response: shown },
    lines: [`${spec.name} ${name} (${deviceId}) via ${reply.via}: success`, ...fieldLines(shown, reply.requestCounter)],
  };
}

/** update_token: keep the new token, never print it (it is a secret; the file has it). */
function saveNewToken(ctx: Context, store: DeviceStore, name: string, inner: JsonObject, shown: JsonObject): void {
  const token = inner.new_token;
  if (typeof token !== 'string') throw new CliError('BAD_REPLY', `${name} reported success but sent no new_token; the old token is kept`);
  try {
    checkToken(token);
  } catch {
    throw new CliError('BAD_REPLY', `${name} sent an unusable new token (${token.length} characters); the old token is kept. Check the device's serial log.`);
  }
  store.get(name).token = token;
  try {
    store.save();
  } catch (error) {
    // The device already switched; losing the token here would lock the user out of it.
    ctx.warn(`could not save the new token (${(error as Error).message}); the device now uses: ${token}`);
    throw error;
  }
  delete shown.new_token;
  shown.new_token_saved = store.path;
  ctx.warn(`the new token of "${name}" is saved in ${store.path}`);
}

export function fieldLines(inner: JsonObject, outerCounter: unknown): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(inner)) {
    if (key === 'status' || key === 'request_id') continue;
    lines.push(`  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  if (!('request_counter' in inner) && typeof outerCounter === 'number') lines.push(`  request_counter: ${outerCounter}`);
  return lines;
}

const WAKE_OPTIONS: OptionSpec = { 'secure-on': { type: 'string' }, wait: { type: 'boolean' } };

const DEVICE_OPTION_HELP: ReadonlyArray<readonly [string, string]> = [
  ['--via tcp|http|wss', 'override the transport chosen from the saved device'],
  ['--timeout SECONDS', `give up after this long, ${TIMEOUT_RANGE_TEXT} (default: tcp 10, http 35, wss 30)`],
  ['--json', 'print one JSON object instead of text'],
];

export const DEVICE_COMMAND_DEFS: readonly CommandDef[] = DEVICE_COMMANDS.map((spec): CommandDef => ({
  name: spec.name,
  aliases: spec.aliases,
  usage: `wakelink ${spec.name} <device>${spec.argsUsage ? ` ${spec.argsUsage}` : ''}`,
  summary: spec.summary,
  details: spec.details,
  options: spec.kind === 'mac' ? WAKE_OPTIONS : {},
  optionHelp: spec.kind === 'mac'
    ? [
      ['--secure-on PASSWORD', 'SecureOn password (6 bytes written like a MAC)'],
      ['--wait', 'for a stored target: wait until it answers (exit 0) or its wait ends (exit 8)'],
      ...DEVICE_OPTION_HELP,
    ]
    : DEVICE_OPTION_HELP,
  run: (ctx: Context) => runDeviceCommand(spec, ctx),
}));
