import { Readable } from 'node:stream';
import { runCli } from '../../../cli/main';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI's entry function with captured streams (fast path for store/argument tests).
 * `tty` makes stderr claim to be a terminal, as it is when a person watches (waiting indicator).
 */
export async function runInProcess(args: string[], home: string, input = '', options: { tty?: boolean } = {}): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { WAKELINK_HOME: home },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty === true },
    stdin: Readable.from([input]),
  });
  return { code, stdout, stderr };
}
