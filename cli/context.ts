import type { GlobalFlags, OptionSpec, ParsedCommandLine } from './args';
import type { Progress } from './transport/types';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Everything a command may touch, passed in so tests can run commands in-process too. */
export interface Context {
  home: string;
  env: NodeJS.ProcessEnv;
  flags: GlobalFlags;
  values: ParsedCommandLine['values'];
  positionals: string[];
  /** For commands that print as they go (`watch`); the others return their lines. */
  stdout: OutputStream;
  stderr: OutputStream;
  progress: Progress;
  /** Reads all of stdin (for --password-stdin). */
  readStdin(): Promise<string>;
  /** Asks for a secret on the terminal without echo; undefined when stdin is not a TTY. */
  promptSecret(question: string): Promise<string | undefined>;
  warn(message: string): void;
}

/** What a successful command returns: one JSON document for --json, lines for people. */
export interface CommandResult {
  json: Record<string, unknown>;
  lines: string[];
}

export interface CommandDef {
  name: string;
  aliases: readonly string[];
  usage: string;
  summary: string;
  /** Extra help paragraphs. */
  details?: string;
  options: OptionSpec;
  /** Help text per option, in display order. */
  optionHelp?: ReadonlyArray<readonly [string, string]>;
  run(ctx: Context): Promise<CommandResult>;
}
