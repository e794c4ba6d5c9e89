/**
 * Whether the database currently accepts writes (catalogue F10): the first failed write marks the
 * store degraded, with its cause, until a later write commits. `SELECT 1` cannot tell this: a
 * full disk or a read-only file still answers reads.
 */
export interface WriteFailure {
  /** SQLite's code, e.g. SQLITE_FULL, SQLITE_READONLY, SQLITE_BUSY. */
  code: string;
  message: string;
  /** Wall-clock ms of the first failure of this run of failures. */
  since: number;
}

/** The error code of a failed SQLite call, or null for anything else (a bug is not a degraded disk). */
export function sqliteErrorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

export class WriteHealth {
  private failure: WriteFailure | null = null;

  constructor(
    private readonly now: () => number = Date.now,
    /** Which failures are the database's (another store, e.g. PostgreSQL, passes its own). */
    private readonly codeOf: (error: unknown) => string | null = sqliteErrorCode,
  ) {}

  failed(error: unknown): void {
    const code = this.codeOf(error);
    if (code === null) return;
    const message = error instanceof Error ? error.message : String(error);
    this.failure = { code, message, since: this.failure?.since ?? this.now() };
  }

  succeeded(): void {
    this.failure = null;
  }

  current(): WriteFailure | null {
    return this.failure;
  }
}
