import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError } from './errors';

/** Secrets live in these files: never readable by other users. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;
/** A devices.json bigger than this is not something we wrote; refuse rather than load it. */
export const MAX_STORE_FILE_BYTES = 4 * 1024 * 1024;

/** `WAKELINK_HOME` replaces `~/.wakelink`, the directory the v1.0 Python CLI uses. */
export function wakelinkHome(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.WAKELINK_HOME;
  return override && override.length > 0 ? override : join(homedir(), '.wakelink');
}

/** Reads a JSON object file; a missing file is `undefined`, anything unreadable is a clear error. */
export function readJsonObjectFile(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_STORE_FILE_BYTES) throw new CliError('STORE', `${path} is larger than ${MAX_STORE_FILE_BYTES} bytes; refusing to load it`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError('STORE', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError('STORE', `${path} is not valid JSON (${(error as Error).message}); fix or move it, nothing was changed`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError('STORE', `${path} must contain a JSON object; nothing was changed`);
  }
  return value as Record<string, unknown>;
}

/**
 * Replaces `path` atomically: a crash leaves either the old file or the new one, never half of
 * one. The temporary file is created 0600 so a token is never briefly world-readable.
 */
export function writeJsonFileAtomic(path: string, value: unknown): void {
  writeTextFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeTextFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', PRIVATE_FILE_MODE);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, PRIVATE_FILE_MODE);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new CliError('STORE', `cannot write ${path}: ${(error as Error).message}`);
  }
}
