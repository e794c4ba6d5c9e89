import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseCommandArgs, splitCommand, globalFlags, type GlobalFlags } from './args';
import type { CommandDef, Context, OutputStream } from './context';
import { GROUPS, findCommand } from './commands';
import { CliError, ExitCodes } from './errors';
import { wakelinkHome } from './files';
import { commandHelp, mainHelp } from './help';
import { createProgress } from './progress';
import { normaliseV1 } from './v1-grammar';
import { DeviceStore } from './store';

export const VERSION = '0.1.0';
/** --password-stdin reads at most this much. */
export const MAX_STDIN_BYTES = 64 * 1024;

export { findCommand };

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

function processIo(): CliIo {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new CliError('USAGE', `stdin is larger than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line without echoing it (the typed characters are not written back). */
function promptSecret(io: CliIo, question: string): Promise<string | undefined> {
  if (!io.stdin.isTTY) return Promise.resolve(undefined);
  io.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({ input: io.stdin, output: silent, terminal: true });
  return new Promise((resolve) => {
    reader.question('', (answer) => {
      reader.close();
      io.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** For the v1.0 word order: is this word a saved device? An unreadable devices.json means no. */
function isSavedDevice(home: string, word: string): boolean {
  try {
    return DeviceStore.load(home).has(word);
  } catch {
    return false;
  }
}

function printError(io: CliIo, flags: Pick<GlobalFlags, 'json'>, error: CliError): void {
  if (flags.json) io.stdout.write(`${JSON.stringify({ ok: false, error: { code: error.code, message: error.message }, ...error.details })}\n`);
  else io.stderr.write(`wakelink: ${error.message}\n`);
}

/** Runs one command line; returns the process exit code. Never throws for expected failures. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let flags: GlobalFlags = { help: false, json: argv.includes('--json'), version: false };
  try {
    const home = wakelinkHome(io.env);
    const normalised = normaliseV1(argv, { isSavedDevice: (word) => isSavedDevice(home, word) });
    for (const note of normalised.notes) io.stderr.write(`wakelink: note: ${note}\n`);
    const split = splitCommand(normalised.argv);
    if (split.command === undefined || split.command === 'help') {
      const topic = split.command === 'help' ? split.rest.find((word) => !word.startsWith('-')) : undefined;
      flags = globalFlags(parseCommandArgs(split.rest.filter((w) => w !== topic), {}, 'help').values);
      if (flags.version) {
        io.stdout.write(`wakelink ${VERSION}\n`);
        return ExitCodes.OK;
      }
      const def = topic ? findCommand(topic) : undefined;
      if (topic && !def) throw new CliError('USAGE', `unknown command "${topic}"`);
      io.stdout.write(def ? commandHelp(def) : mainHelp(GROUPS));
      return flags.help || split.command === 'help' ? ExitCodes.OK : ExitCodes.USAGE;
    }
    const def = findCommand(split.command);
    const rest = split.rest;
    if (!def) throw new CliError('USAGE', `unknown command "${split.command}" (see \`wakelink --help\`)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(commandHelp(def));
      return ExitCodes.OK;
    }
    const parsed = parseCommandArgs(rest, def.options, def.name);
    flags = parsed.flags;
    const ctx: Context = {
      home,
      env: io.env,
      flags,
      values: parsed.values,
      positionals: parsed.positionals,
      stdout: io.stdout,
      stderr: io.stderr,
      progress: createProgress(io.stderr, !flags.json),
      readStdin: () => readAll(io.stdin),
      promptSecret: (question) => promptSecret(io, question),
      warn: (message) => io.stderr.write(`wakelink: warning: ${message}\n`),
    };
    const result = await def.run(ctx);
    if (flags.json) io.stdout.write(`${JSON.stringify(result.json)}\n`);
    else io.stdout.write(result.lines.map((line) => `${line}\n`).join(''));
    return ExitCodes.OK;
  } catch (error) {
    if (error instanceof CliError) {
      printError(io, flags, error);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    printError(io, flags, new CliError('BAD_REPLY', `internal error: ${message}`));
    return ExitCodes.FAILED;
  }
}
