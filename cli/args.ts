import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors';
import type { TransportName } from './store';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Accepted anywhere on the line, before or after the command. */
export const GLOBAL_OPTIONS: OptionSpec = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  via: { type: 'string' },
  version: { type: 'boolean' },
};

/** Upper bound for --timeout: long enough for several relay long polls, short enough to notice a hang. */
export const MAX_TIMEOUT_S = 600;
/** Lower bound for --timeout: below this not even a loopback exchange completes (and 0 would mean "no time at all"). */
export const MIN_TIMEOUT_S = 0.1;
/** The accepted range, as every message and help text states it. */
export const TIMEOUT_RANGE_TEXT = `${MIN_TIMEOUT_S} to ${MAX_TIMEOUT_S} seconds`;

export interface GlobalFlags {
  help: boolean;
  json: boolean;
  version: boolean;
  timeoutMs?: number;
  via?: TransportName;
}

export interface SplitArgs {
  command?: string;
  /** Everything except the command word, in order, for the command's own parser. */
  rest: string[];
}

/**
 * Finds the command word: the first argument that is neither a global option nor a global
 * option's value. Command-specific options before the command are refused with a hint.
 */
export function splitCommand(argv: readonly string[]): SplitArgs {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { command: argv[i + 1], rest: [...rest, ...argv.slice(i + 2)] };
    if (!arg.startsWith('-') || arg === '-') return { command: arg, rest: [...rest, ...argv.slice(i + 1)] };
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : findShort(arg.slice(1));
    const spec = GLOBAL_OPTIONS[name];
    if (!spec) throw usageError(`unknown option ${arg} before the command; put command options after the command (see \`wakelink --help\`)`);
    rest.push(arg);
    if (spec.type === 'string' && !arg.includes('=')) {
      const value = argv[i + 1];
      if (value === undefined) throw usageError(`option ${arg} needs a value`);
      rest.push(value);
      i++;
    }
  }
  return { rest };
}

function findShort(letter: string): string {
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) if (spec.short === letter) return name;
  return letter;
}

export interface ParsedCommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  flags: GlobalFlags;
}

/** Parses the command's arguments (strict: unknown options and missing values are usage errors). */
export function parseCommandArgs(args: readonly string[], options: OptionSpec, commandName: string): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...GLOBAL_OPTIONS, ...options }, strict: true, allowPositionals: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw usageError(`${message} (see \`wakelink ${commandName} --help\`)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  return { values, positionals: parsed.positionals, flags: globalFlags(values) };
}

export function globalFlags(values: Record<string, string | boolean | undefined>): GlobalFlags {
  const flags: GlobalFlags = { help: values.help === true, json: values.json === true, version: values.version === true };
  if (typeof values.timeout === 'string') flags.timeoutMs = parseTimeout(values.timeout);
  if (typeof values.via === 'string') flags.via = parseVia(values.via);
  return flags;
}

export function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(seconds) || seconds < MIN_TIMEOUT_S || seconds > MAX_TIMEOUT_S) {
    throw usageError(`--timeout takes ${TIMEOUT_RANGE_TEXT}, e.g. --timeout 5 or --timeout 0.5 (got "${text}")`);
  }
  return Math.round(seconds * 1000);
}

const VIA_WORDS: Record<string, TransportName> = { tcp: 'tcp', local: 'tcp', lan: 'tcp', http: 'http', wss: 'wss', ws: 'wss' };

export function parseVia(text: string): TransportName {
  const via = VIA_WORDS[text.toLowerCase()];
  if (!via) throw usageError(`--via takes tcp, http or wss (got "${text}")`);
  return via;
}

export function stringOption(values: ParsedCommandLine['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
