/**
 * Starts the measured servers as child processes of the load generator: the real relay
 * (server/main.ts, configured by environment like production) and the raw `ws` baseline, both with
 * probe.ts preloaded. Children inherit the load generator's raised file limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIMIT_KNOBS } from '../../server/config-limits';
import type { ProbeRequest, ProbeSample } from './probe';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));
const RAW_RELAY = fileURLToPath(new URL('./raw-relay.ts', import.meta.url));
const JSON_RELAY = fileURLToPath(new URL('./json-relay.ts', import.meta.url));
const BARE_UPGRADE = fileURLToPath(new URL('./bare-upgrade.ts', import.meta.url));
/** BENCH_RELAY_MAIN points at another relay entry, e.g. a patched copy, to measure a proposed fix. */
const RELAY_MAIN = process.env.BENCH_RELAY_MAIN ?? path.join(ROOT, 'server/main.ts');

const STARTUP_TIMEOUT_MS = 30_000;
const STARTUP_POLL_MS = 50;
const PROBE_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 12_000;
const LOG_TAIL_CHARS = 3_000;

export interface MeasuredProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Relay limits this run raised: environment variable → [shipped, used]. */
  readonly raisedLimits: Record<string, [number, number]>;
  /** CPU and memory of the process; `gc` forces a full collection first (both servers run with --expose-gc). */
  probe(gc?: boolean, heapSnapshot?: string, profile?: ProbeRequest['profile']): Promise<ProbeSample>;
  /** The end of the process's own output, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/**
 * BENCH_RELAY_NODE_ARGS adds Node flags to the relay only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * to profile it under the benchmark's load (the profile is written when it stops).
 */
function nodeArgs(script: string, extra: string[] = []): string[] {
  return ['--expose-gc', ...extra, '--import', 'tsx', '--import', PROBE, script];
}

const relayExtraArgs = (process.env.BENCH_RELAY_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

function wrap(name: string, child: ChildProcess, port: number, logFile: string, raisedLimits: Record<string, [number, number]>): MeasuredProcess {
  let nextProbe = 1;
  const waiting = new Map<number, (sample: ProbeSample) => void>();
  child.on('message', (message: { probe?: number; sample?: ProbeSample }) => {
    if (typeof message.probe !== 'number' || !message.sample) return;
    waiting.get(message.probe)?.(message.sample);
    waiting.delete(message.probe);
  });
  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').slice(-LOG_TAIL_CHARS);
    } catch {
      return '';
    }
  };
  return {
    name,
    pid: child.pid!,
    port,
    raisedLimits,
    logTail,
    probe(gc = false, heapSnapshot?: string, profile?: ProbeRequest['profile']) {
      const id = nextProbe++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${name} did not answer a probe within ${PROBE_TIMEOUT_MS} ms\n${logTail()}`));
        }, PROBE_TIMEOUT_MS);
        waiting.set(id, (sample) => {
          clearTimeout(timer);
          resolve(sample);
        });
        child.send({ probe: id, gc, ...(heapSnapshot ? { heapSnapshot } : {}), ...(profile ? { profile } : {}) });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await done;
      clearTimeout(timer);
    },
  };
}

async function waitFor<T>(what: string, check: () => T | undefined, child: ChildProcess, logFile: string): Promise<T> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const value = check();
    if (value !== undefined) return value;
    if (child.exitCode !== null || child.signalCode !== null) break;
    await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
  }
  child.kill('SIGKILL');
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8').slice(-LOG_TAIL_CHARS);
  } catch { /* no log yet */ }
  throw new Error(`${what} did not start (exit ${child.exitCode ?? child.signalCode ?? 'timeout'}):\n${log}`);
}

export interface RelayOptions {
  /** Directory for the database and the relay's output. */
  dataDir: string;
  /** Extra environment (DEVICE_LIMIT, QUEUE_CAP, ...). */
  env?: Record<string, string>;
  /**
   * Relay limits to raise for this run, by their environment variable (server/config-limits.ts,
   * README). Only raised, never lowered; empty keeps every shipped limit.
   */
  limits?: Record<string, number>;
  /** Another relay entry than RELAY_MAIN (the code before a change, BENCH_RELAY_BEFORE_MAIN). */
  main?: string;
  /** Process name in tables and errors. */
  name?: string;
}

/** The environment that raises `wanted` above the shipped defaults, and what it raised. */
export function limitEnvironment(wanted: Record<string, number>): { env: Record<string, string>; raised: Record<string, [number, number]> } {
  const env: Record<string, string> = {};
  const raised: Record<string, [number, number]> = {};
  for (const [name, value] of Object.entries(wanted)) {
    const knob = LIMIT_KNOBS.find((k) => k.env === name);
    if (!knob) throw new Error(`bench: ${name} is not a relay limit variable (server/config-limits.ts)`);
    if (value <= knob.fallback) continue;
    env[name] = String(Math.min(value, knob.max));
    raised[name] = [knob.fallback, Math.min(value, knob.max)];
  }
  return { env, raised };
}

/** The real relay, started like production: `server/main.ts`, configured by environment only. */
export async function startRelay(options: RelayOptions): Promise<MeasuredProcess> {
  const logFile = path.join(options.dataDir, 'relay.log');
  const out = openSync(logFile, 'w');
  const limits = limitEnvironment(options.limits ?? {});
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLOUD_PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_FILE: path.join(options.dataDir, 'relay.db'),
    SECRET_KEY: 'bench-secret-0123456789abcdef0123456789abcdef',
    LOG_LEVEL: 'info',
    ...limits.env,
    ...options.env,
  };
  const child = spawn(process.execPath, nodeArgs(options.main ?? RELAY_MAIN, relayExtraArgs), { cwd: ROOT, env, stdio: ['ignore', out, out, 'ipc'] });
  closeSync(out);
  let probeReady = false;
  child.on('message', (message: { ready?: boolean }) => {
    if (message.ready === true) probeReady = true;
  });
  const port = await waitFor('relay', () => {
    const match = /WakeLink relay listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(logFile, 'utf8'));
    return match ? Number(match[1]) : undefined;
  }, child, logFile);
  await waitFor('relay probe', () => (probeReady ? true : undefined), child, logFile);
  return wrap(options.name ?? 'relay', child, port, logFile, limits.raised);
}

/** A reference server of the bench (raw-relay.ts, json-relay.ts): reports its port over IPC. */
async function startReference(name: string, script: string, logFile: string): Promise<MeasuredProcess> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, nodeArgs(script), { cwd: ROOT, stdio: ['ignore', out, out, 'ipc'] });
  closeSync(out);
  let port: number | undefined;
  child.on('message', (message: { listening?: number }) => {
    if (typeof message.listening === 'number') port = message.listening;
  });
  await waitFor(name, () => port, child, logFile);
  return wrap(name, child, port!, logFile, {});
}

/** The raw `ws` ceiling (raw-relay.ts): forwards the same frames and sends the same ACK. */
export function startRawRelay(dataDir: string): Promise<MeasuredProcess> {
  return startReference('raw ws baseline', RAW_RELAY, path.join(dataDir, 'raw-relay.log'));
}

/** The JSON-only Node relay (json-relay.ts): parse, validate, stringify, forward, ACK. */
export function startJsonRelay(dataDir: string): Promise<MeasuredProcess> {
  return startReference('JSON-only relay', JSON_RELAY, path.join(dataDir, 'json-relay.log'));
}

/** The idle floor (bare-upgrade.ts): upgraded TCP sockets held with no WebSocket object on them. */
export function startBareUpgrade(dataDir: string): Promise<MeasuredProcess> {
  return startReference('bare upgraded socket', BARE_UPGRADE, path.join(dataDir, 'bare-upgrade.log'));
}

/** CPU seconds used between two probe samples. */
export function cpuMicros(before: ProbeSample, after: ProbeSample): number {
  return after.userMicros - before.userMicros + (after.systemMicros - before.systemMicros);
}
