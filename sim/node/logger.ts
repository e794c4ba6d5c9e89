import type { Logger, LogLevel } from '../../firmware/platform/types';

export interface ConsoleLine {
  uptimeMs: number;
  level: LogLevel | 'sim';
  message: string;
}

export interface SerialConsoleOptions {
  /** Values that must never appear in the console (device token, API token); replaced wherever they occur. */
  secrets: () => readonly string[];
  /** Where finished lines go (stdout by default); tests collect them. */
  sink?: (line: ConsoleLine, text: string) => void;
  uptimeMs: () => number;
}

const REDACTED = '<redacted>';
/** Secrets shorter than this are not searched for (an empty or tiny string would mangle every line). */
const MIN_REDACT_CHARS = 8;

/** A serial console: one timestamped line per message, secrets masked even if the logic slips. */
export class SerialConsole {
  constructor(private readonly options: SerialConsoleOptions) {}

  line(level: ConsoleLine['level'], message: string): void {
    let text = message.replace(/[\r\n]+/g, ' ');
    for (const secret of this.options.secrets()) {
      if (secret.length >= MIN_REDACT_CHARS) text = text.split(secret).join(REDACTED);
    }
    const uptimeMs = this.options.uptimeMs();
    const stamp = (uptimeMs / 1000).toFixed(3).padStart(9, ' ');
    const formatted = `[${stamp}] ${level.padEnd(5, ' ')} ${text}`;
    if (this.options.sink) this.options.sink({ uptimeMs, level, message: text }, formatted);
    else process.stdout.write(formatted + '\n');
  }

  logger(): Logger {
    return { log: (level, message) => this.line(level, String(message)) };
  }
}
