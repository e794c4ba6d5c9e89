/** The command table: every command word and alias, grouped as `wakelink --help` shows them. */
import { GLOBAL_OPTIONS, type OptionSpec } from './args';
import { CLAIM_COMMANDS } from './claim-commands';
import { CLOUD_COMMANDS } from './cloud-commands';
import type { CommandDef } from './context';
import { DEVICE_COMMAND_DEFS } from './device-run';
import { ENDPOINT_COMMANDS } from './endpoint-commands';
import { MANAGEMENT_COMMANDS } from './management';
import { RELAY_COMMANDS } from './relay-commands';
import { SESSION_COMMANDS } from './session-commands';
import { WATCH_COMMANDS } from './watch';
import { TARGET_COMMANDS } from './target-commands';

/** Commands whose first word is a saved device. */
const DEVICE_DEFS: readonly CommandDef[] = [...DEVICE_COMMAND_DEFS, ...TARGET_COMMANDS];

export const GROUPS = [
  ['Device commands (wakelink <command> <device> ...)', DEVICE_DEFS],
  ['Saved devices', MANAGEMENT_COMMANDS],
  ['Relay', [...RELAY_COMMANDS, ...SESSION_COMMANDS, ...CLAIM_COMMANDS, ...CLOUD_COMMANDS, ...ENDPOINT_COMMANDS, ...WATCH_COMMANDS]],
] as const;

const BY_WORD = new Map<string, CommandDef>();
for (const [, defs] of GROUPS) for (const def of defs) for (const word of [def.name, ...def.aliases]) BY_WORD.set(word, def);

export function findCommand(word: string): CommandDef | undefined {
  return BY_WORD.get(word);
}

export function isDeviceCommand(def: CommandDef): boolean {
  return DEVICE_DEFS.includes(def);
}

/** Long options that take a value, across every command: their values are never read as words. */
export const VALUE_OPTIONS: ReadonlySet<string> = new Set(
  [GLOBAL_OPTIONS, ...GROUPS.flatMap(([, defs]) => defs.map((def) => def.options))]
    .flatMap((options: OptionSpec) => Object.entries(options).filter(([, spec]) => spec.type === 'string').map(([name]) => name)),
);
