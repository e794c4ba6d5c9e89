import type { CommandDef } from './context';
import { TIMEOUT_RANGE_TEXT } from './args';
import { ExitCodes } from './errors';

function optionLines(def: CommandDef): string[] {
  const rows = def.optionHelp ?? [];
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

export function commandHelp(def: CommandDef): string {
  const lines = [`Usage: ${def.usage}`, '', def.summary + '.'];
  if (def.aliases.length > 0) lines.push(`Aliases: ${def.aliases.join(', ')}`);
  if (def.details) lines.push('', def.details);
  const options = optionLines(def);
  if (options.length > 0) lines.push('', 'Options:', ...options);
  lines.push('', 'Global options: --json, --timeout SECONDS, --via tcp|http|wss, --help');
  return lines.join('\n') + '\n';
}

export function mainHelp(groups: ReadonlyArray<readonly [string, readonly CommandDef[]]>): string {
  const all = groups.flatMap(([, defs]) => defs);
  const width = Math.max(...all.map((def) => def.name.length));
  const lines = ['Usage: wakelink <command> [arguments] [options]', '       wakelink <device> <device-command> [arguments] [tcp|http|wss]   (v1.0 word order)', ''];
  for (const [title, defs] of groups) {
    lines.push(`${title}:`);
    for (const def of defs) lines.push(`  ${def.name.padEnd(width)}  ${def.summary}`);
    lines.push('');
  }
  lines.push(
    'Global options:',
    '  --json              one JSON object on stdout (errors too)',
    `  --timeout SECONDS   give up after this long (${TIMEOUT_RANGE_TEXT})`,
    '  --via tcp|http|wss  override the transport chosen from the saved device',
    '  -h, --help          help; `wakelink <command> --help` for one command',
    '',
    'The v1.0 CLI\'s forms work too:',
    '  wakelink desk ping tcp                     (device first; tcp|local|http|cloud|wss = one-shot --via)',
    '  wakelink add desk token T ip I port P      (keywords for add, update, register; update desk port P)',
    '  wakelink --device=desk --ping              (and -d desk, --wake=MAC, --list-devices, --add-device=NAME ...)',
    '',
    'Devices are kept in $WAKELINK_HOME/devices.json (default ~/.wakelink), the v1.0 CLI format.',
    `Exit codes: ${ExitCodes.OK} success, ${ExitCodes.FAILED} device/relay error, ${ExitCodes.USAGE} usage, ${ExitCodes.CONNECTION} connection failed,`,
    `            ${ExitCodes.TIMEOUT} timeout, ${ExitCodes.AUTH} relay auth failed, ${ExitCodes.SIGNATURE} token mismatch (signature), ${ExitCodes.QUEUED} queued (device offline).`,
  );
  return lines.join('\n') + '\n';
}
