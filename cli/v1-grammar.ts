/**
 * The WakeLink v1.0 CLI's command-line habits (spec 6.2), rewritten into this CLI's own grammar
 * before parsing, so both work side by side:
 *
 *   wakelink add desk token T ip 192.168.1.50 port 99   →  wakelink add desk --token=T --ip=… --port=99
 *   wakelink update desk port 5000                       →  wakelink update desk --port=5000
 *   wakelink desk ping tcp / wakelink ping desk wss      →  wakelink ping desk --via=tcp / --via=wss
 *   wakelink --device=desk --ping, -d desk --wake MAC     →  wakelink ping desk, wakelink wake desk MAC
 *
 * Only lines that this CLI's own grammar would refuse are rewritten: a line that already parses
 * is returned unchanged. Unlike v1.0, nothing is silently dropped: a word that cannot be placed
 * is a usage error naming it.
 */
import { isIP } from 'node:net';
import { MIN_TOKEN_LENGTH } from '../shared/index';
import { parseVia } from './args';
import type { CommandDef } from './context';
import { VALUE_OPTIONS, findCommand, isDeviceCommand } from './commands';
import { usageError } from './errors';
import type { TransportName } from './store';

/** Transport words: a one-shot override, as `--via` (v1.0: `local` = tcp, `cloud` = http). */
const TRANSPORT_WORDS: Readonly<Record<string, TransportName>> = { tcp: 'tcp', local: 'tcp', http: 'http', cloud: 'http', wss: 'wss' };

/** Keywords that take the next word as their value, and the option each one sets. */
const KEYWORDS: Readonly<Record<string, string>> = {
  token: 'token', ip: 'ip', port: 'port', 'device-id': 'device-id', deviceid: 'device-id',
  'api-token': 'api-token', apitoken: 'api-token', 'http-url': 'http-url', httpurl: 'http-url',
  'wss-url': 'wss-url', wssurl: 'wss-url', protocol: 'protocol',
};

/**
 * Commands whose settings may be written as v1.0 keywords: after the device name (or right after
 * the command for cloud-list); `guess` also places unlabelled words, as v1.0 did for device settings.
 */
const KEYWORD_COMMANDS: Readonly<Record<string, { named: boolean; guess: boolean }>> = {
  add: { named: true, guess: true }, update: { named: true, guess: true }, register: { named: true, guess: true },
  unregister: { named: true, guess: false }, 'cloud-list': { named: false, guess: false },
};

/** v1.0 argparse flags that name a command, and ours. */
const FLAG_COMMANDS: Readonly<Record<string, string>> = {
  ping: 'ping', info: 'info', restart: 'restart', 'ota-start': 'ota', 'open-setup': 'setup',
  'enable-site': 'site-on', 'disable-site': 'site-off', 'site-status': 'site-status', 'crypto-info': 'crypto',
  'update-token': 'update-token', 'list-devices': 'list', 'cloud-list-devices': 'cloud-list',
};
/** v1.0 command flags with a value: the MAC for wake, the device name for the others. */
const VALUE_FLAG_COMMANDS: Readonly<Record<string, string>> = {
  wake: 'wake', 'add-device': 'add', 'register-device': 'register', 'remove-device': 'remove', 'delete-device': 'unregister',
};
/** v1.0 short options that take a value, and the long option each one is (`-d` is the device). */
const SHORT_VALUE_OPTIONS: Readonly<Record<string, string>> = { d: 'device', t: 'token', a: 'api-token' };

const URL_PATTERN = /^(wss?|https?):\/\//i;

export interface V1Lookup {
  /** True when the word names a device saved in devices.json. */
  isSavedDevice(word: string): boolean;
}

export interface Normalised {
  argv: string[];
  /** Things the user should know (v1.0 flags accepted but meaningless here). */
  notes: string[];
}

interface Pieces {
  words: string[];
  /** Options kept as written, one group per option (with its value when separate). */
  options: string[][];
  command?: { word: string; flag: string; value?: string };
  device?: string;
  notes: string[];
  changed: boolean;
}

function takeValue(argv: readonly string[], index: number, inline: string | undefined, flag: string): string {
  const value = inline ?? argv[index + 1];
  if (value === undefined || (inline === undefined && value.startsWith('-') && value !== '-')) throw usageError(`${flag} needs a value`);
  return value;
}

/** Splits the line into words and options, lifting out the v1.0 flags (command flags, --device, -d/-t/-a/-c). */
function split(argv: readonly string[]): Pieces {
  const pieces: Pieces = { words: [], options: [], notes: [], changed: false };
  const setCommand = (word: string, flag: string, value?: string): void => {
    if (pieces.command) throw usageError(`give one command, not both ${pieces.command.flag} and ${flag}`);
    pieces.command = { word, flag, value };
    pieces.changed = true;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      pieces.words.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const flag = `--${name}`;
      if (FLAG_COMMANDS[name]) {
        if (inline !== undefined) throw usageError(`${flag} takes no value`);
        setCommand(FLAG_COMMANDS[name], flag);
      } else if (VALUE_FLAG_COMMANDS[name]) {
        setCommand(VALUE_FLAG_COMMANDS[name], flag, takeValue(argv, i, inline, flag));
        if (inline === undefined) i++;
      } else if (name === 'device') {
        pieces.device = takeValue(argv, i, inline, flag);
        pieces.changed = true;
        if (inline === undefined) i++;
      } else if (name === 'cloud') {
        pieces.notes.push('--cloud is ignored (as in v1.0): a device with a relay URL goes through the relay');
        pieces.changed = true;
      } else if (VALUE_OPTIONS.has(name) && inline === undefined && i + 1 < argv.length) {
        pieces.options.push([arg, argv[++i]!]);
      } else {
        pieces.options.push([arg]);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!;
      const long = SHORT_VALUE_OPTIONS[letter];
      if (long) {
        const attached = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : undefined;
        const value = takeValue(argv, i, attached, `-${letter}`);
        if (attached === undefined) i++;
        if (long === 'device') pieces.device = value;
        else pieces.options.push([`--${long}=${value}`]);
        pieces.changed = true;
      } else if (arg === '-c') {
        pieces.notes.push('-c (cloud) is ignored (as in v1.0): a device with a relay URL goes through the relay');
        pieces.changed = true;
      } else {
        pieces.options.push([arg]);
      }
      continue;
    }
    pieces.words.push(arg);
  }
  return pieces;
}

/** Which option a word names when it is not labelled (v1.0's guesses, with a token never mistaken for an address). */
function guessOption(word: string): string | undefined {
  if (URL_PATTERN.test(word)) return 'relay';
  if (word.includes('.') && (isIP(word) !== 0 || (/^[A-Za-z0-9.-]+$/.test(word) && word.length < MIN_TOKEN_LENGTH))) return 'ip';
  if (/^\d+$/.test(word)) return 'port';
  if (word.length > 20) return 'token';
  if (word.startsWith('WL') || word.length > 8) return 'device-id';
  return undefined;
}

/** register has one relay setting: the v1.0 URL keywords both mean it. */
function optionFor(def: CommandDef, option: string): string {
  if (def.name === 'register' && (option === 'http-url' || option === 'wss-url')) return 'relay';
  return option;
}

function optionGiven(options: readonly string[][], name: string): boolean {
  return options.some(([first]) => first === `--${name}` || first!.startsWith(`--${name}=`));
}

/** `add desk token T ip I port P`, `update desk port P`, `register desk device-id ID api-token A`, `cloud-list api-token A`. */
function keywordSettings(def: CommandDef, words: string[], options: string[][]): { words: string[]; added: string[][] } {
  const { named, guess } = KEYWORD_COMMANDS[def.name]!;
  const added: string[][] = [];
  const set = (option: string, value: string, word: string): void => {
    const name = optionFor(def, option);
    if (!(name in def.options)) throw usageError(`"${word}" is not a setting of ${def.name} (see \`wakelink ${def.name} --help\`)`);
    if (optionGiven(options, name) || optionGiven(added, name)) throw usageError(`--${name} is given twice (the word "${word}")`);
    added.push([`--${name}=${value}`]);
  };
  const name = named ? words[0] : undefined;
  const settings = named ? words.slice(1) : words;
  for (let i = 0; i < settings.length; i++) {
    const word = settings[i]!;
    const keyword = KEYWORDS[word.toLowerCase()];
    if (keyword) {
      const value = settings[i + 1];
      if (value === undefined) throw usageError(`${word} needs a value, e.g. \`wakelink ${def.name}${named ? ` ${name ?? 'NAME'}` : ''} ${word} VALUE\``);
      set(keyword, value, word);
      i++;
      continue;
    }
    const guessed = guess ? guessOption(word) : undefined;
    if (!guessed && !guess) throw usageError(`unexpected argument "${word}" (see \`wakelink ${def.name} --help\`)`);
    if (!guessed) throw usageError(`cannot tell what "${word}" is: label it, e.g. token T, ip ADDRESS, port P or device-id ID`);
    set(guessed, word, word);
  }
  return { words: name === undefined ? [] : [name], added };
}

/** Transport words after the device name (`wakelink desk ping tcp`), and `mode tcp|http|wss`. */
function transportWords(words: string[], options: string[][]): { words: string[]; added: string[][] } {
  let via: TransportName | undefined;
  const kept = words.slice(0, 2);
  const choose = (next: TransportName, word: string): void => {
    if (via !== undefined && via !== next) throw usageError(`two transports given (${via} and "${word}"): pick one`);
    via = next;
  };
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    const lower = word.toLowerCase();
    if (lower === 'mode') {
      const value = words[++i];
      if (value === undefined) throw usageError('mode needs tcp, http or wss');
      choose(parseVia(value), word);
    } else if (TRANSPORT_WORDS[lower]) {
      choose(TRANSPORT_WORDS[lower], word);
    } else {
      kept.push(word);
    }
  }
  if (via === undefined) return { words, added: [] };
  const given = options.find(([first]) => first === '--via' || first!.startsWith('--via='));
  if (given) {
    const text = given.length > 1 ? given[1]! : given[0]!.slice('--via='.length);
    if (parseVia(text) !== via) throw usageError(`two transports given (--via ${text} and ${via}): pick one`);
    return { words: kept, added: [] };
  }
  return { words: kept, added: [[`--via=${via}`]] };
}

/** Rewrites a v1.0-style command line into this CLI's grammar; anything else passes through unchanged. */
export function normaliseV1(argv: readonly string[], lookup: V1Lookup): Normalised {
  const pieces = split(argv);
  let words = pieces.words;
  let changed = pieces.changed;
  const { command, device } = pieces;
  if (command) {
    const target = command.value !== undefined && command.word !== 'wake' ? command.value : device;
    const mac = command.word === 'wake' ? [command.value!] : [];
    words = [command.word, ...(target === undefined ? [] : [target]), ...words, ...mac];
  } else if (device !== undefined) {
    words = [device, ...words];
  }
  // A `help` word after the first (v1.0) asks for help, like --help.
  const options = pieces.options;
  if (words.slice(1).some((word) => word.toLowerCase() === 'help')) {
    words = [words[0]!, ...words.slice(1).filter((word) => word.toLowerCase() !== 'help')];
    options.push(['--help']);
    changed = true;
  }
  const wantsHelp = options.some(([option]) => option === '--help' || option === '-h');

  const first = words[0];
  let def = first === undefined ? undefined : findCommand(first);
  if (first !== undefined && !def && lookup.isSavedDevice(first)) {
    // Device first (`wakelink desk ping`): the command is the first later word that names a device command.
    const index = words.findIndex((word, i) => i > 0 && words[i - 1]!.toLowerCase() !== 'mode' && findCommand(word) !== undefined && isDeviceCommand(findCommand(word)!));
    if (index < 0) {
      if (wantsHelp) return { argv: ['--help'], notes: pieces.notes };
      throw usageError(`"${first}" is a saved device: say what to do with it, e.g. \`wakelink ${first} ping\` (see \`wakelink --help\`)`);
    }
    def = findCommand(words[index]!)!;
    words = [words[index]!, first, ...words.slice(1, index), ...words.slice(index + 1)];
    changed = true;
  }

  let added: string[][] = [];
  if (def && isDeviceCommand(def)) {
    const result = transportWords(words, options);
    if (result.added.length > 0 || result.words.length !== words.length) changed = true;
    ({ words, added } = result);
  } else if (def && KEYWORD_COMMANDS[def.name] && words.length > (KEYWORD_COMMANDS[def.name]!.named ? 2 : 1) && !wantsHelp) {
    const result = keywordSettings(def, words.slice(1), options);
    words = [words[0]!, ...result.words];
    added = result.added;
    changed = true;
  }
  if (!changed) return { argv: [...argv], notes: pieces.notes };
  return { argv: [...words, ...options.flat(), ...added.flat()], notes: pieces.notes };
}
