/**
 * Exit codes of `wakelink`: 0 only when the device (or relay, for management commands) confirmed
 * success. Scripts can tell "fix your command line" from "the device is unreachable" from "wrong token".
 */
export const ExitCodes = {
  OK: 0,
  FAILED: 1, // the device or relay answered with an error
  USAGE: 2, // bad command line, unknown device, unusable devices.json
  CONNECTION: 3, // refused, unreachable, DNS failure, dropped connection
  TIMEOUT: 4, // no answer within --timeout
  AUTH: 5, // the relay refused the API token / credentials (401)
  SIGNATURE: 6, // a reply failed the HMAC check: the stored device token does not match the device
  QUEUED: 7, // the relay accepted the command but the device is offline
  NOT_WOKEN: 8, // wake --wait: the target did not answer within its wait time
} as const;

export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** Stable, machine-readable names for `--json` output. */
export type CliErrorCode =
  | 'USAGE' | 'UNKNOWN_DEVICE' | 'STORE' | 'CONNECTION_REFUSED' | 'CONNECTION_ERROR' | 'TIMEOUT'
  | 'RELAY_AUTH' | 'RELAY_ERROR' | 'INVALID_SIGNATURE' | 'BAD_REPLY' | 'DEVICE_ERROR' | 'QUEUED' | 'NOT_WOKEN';

const EXIT_BY_CODE: Record<CliErrorCode, ExitCode> = {
  USAGE: ExitCodes.USAGE,
  UNKNOWN_DEVICE: ExitCodes.USAGE,
  STORE: ExitCodes.USAGE,
  CONNECTION_REFUSED: ExitCodes.CONNECTION,
  CONNECTION_ERROR: ExitCodes.CONNECTION,
  TIMEOUT: ExitCodes.TIMEOUT,
  RELAY_AUTH: ExitCodes.AUTH,
  RELAY_ERROR: ExitCodes.FAILED,
  INVALID_SIGNATURE: ExitCodes.SIGNATURE,
  BAD_REPLY: ExitCodes.FAILED,
  DEVICE_ERROR: ExitCodes.FAILED,
  QUEUED: ExitCodes.QUEUED,
  NOT_WOKEN: ExitCodes.NOT_WOKEN,
};

/** Every expected failure of the CLI: printed as one clear line (or a JSON object), never a stack. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;
  /** Extra fields for `--json` output (e.g. the device's error reply). */
  readonly details: Record<string, unknown>;
  constructor(code: CliErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = EXIT_BY_CODE[code];
    this.details = details;
  }
}

export function usageError(message: string): CliError {
  return new CliError('USAGE', message);
}

/** Maps Node socket/DNS errors to the CLI's messages. `where` names the peer, e.g. "127.0.0.1:99". */
export function connectionError(error: unknown, where: string): CliError {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') {
    return new CliError('CONNECTION_REFUSED', `connection refused by ${where} (nothing is listening there: is the device or relay running and the address right?)`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new CliError('CONNECTION_ERROR', `cannot resolve host of ${where}`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new CliError('CONNECTION_ERROR', `${where} is unreachable from this machine`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new CliError('CONNECTION_ERROR', `connection to ${where} was reset before a reply arrived`);
  return new CliError('CONNECTION_ERROR', `cannot talk to ${where}: ${code ?? deepestMessage(error)}`);
}

/** Finds a Node error code on an error or on its `cause` chain (fetch wraps socket errors). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Object; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** fetch reports "fetch failed" and hides the reason in `cause`; show the innermost message. */
function deepestMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}
