/**
 * PostgreSQL with the store's synchronous contract (issue 15). The Store interface is synchronous
 * (better-sqlite3 blocks the event loop for the few microseconds a local query takes) and some 70
 * call sites in routes, relay, auth and routing rely on that. Rather than make every one of them
 * async, this client runs `pg` in a worker thread and waits for each answer with Atomics.wait, so
 * a query blocks the event loop for one loopback round trip — the same model as SQLite, with a
 * bigger constant (measured in bench/). Every wait is bounded (PG_QUERY_TIMEOUT_MS); a late answer
 * to a query that timed out is recognised by its sequence number and dropped.
 *
 * A transaction belongs to one server connection: if the connection is lost inside one, every
 * later statement of it fails (PG_TRANSACTION_LOST) instead of running on a fresh connection in
 * autocommit, so a batch is all or nothing.
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** SQLSTATE classes and client codes that mean "the database is away now", not a bug. */
const UNAVAILABLE = /^(08|53|57P|55P03|40001|40P01|PG_TIMEOUT|PG_TRANSACTION_LOST|PG_ERROR|E[A-Z]+$)/;

export class PgError extends Error {
  /** For the error table (errors.ts databaseErrorCode): a retryable 503, or null for a bug (500). */
  readonly availability: 'unavailable' | 'read_only' | null;

  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'PgError';
    this.availability = code === '25006' ? 'read_only' : UNAVAILABLE.test(code) ? 'unavailable' : null;
  }
}

export interface QueryResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

export interface SyncPgOptions {
  url: string;
  queryTimeoutMs: number;
  connectTimeoutMs: number;
  applicationName: string;
}

/** The worker: one pg.Client, reconnected on demand. Plain CommonJS, evaluated (no file to ship). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
// BIGINT (ms timestamps, ids, COUNT(*)) as numbers: every value the relay stores is below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));
const { port, signal, url, connectTimeoutMs, queryTimeoutMs, applicationName } = workerData;
let client = null;
let txClient = null;
const open = async () => {
  if (client) return client;
  const fresh = new pg.Client({
    connectionString: url, connectionTimeoutMillis: connectTimeoutMs, statement_timeout: queryTimeoutMs,
    application_name: applicationName,
  });
  fresh.on('error', () => { if (client === fresh) client = null; });
  try {
    await fresh.connect();
  } catch (error) {
    fresh.end().catch(() => {});
    throw error;
  }
  client = fresh;
  return fresh;
};
let chain = Promise.resolve();
port.on('message', (request) => {
  chain = chain.then(async () => {
    let answer;
    try {
      if (request.tx === 'begin') {
        txClient = await open();
        await txClient.query(request.sql);
        answer = { rows: [], rowCount: 0 };
      } else if (request.tx === 'end') {
        const mine = txClient;
        txClient = null;
        if (mine !== client || mine === null) {
          if (request.sql !== 'ROLLBACK') throw Object.assign(new Error('connection lost inside the transaction; nothing of it was committed'), { code: 'PG_TRANSACTION_LOST' });
          answer = { rows: [], rowCount: 0 };
        } else {
          await mine.query(request.sql);
          answer = { rows: [], rowCount: 0 };
        }
      } else {
        if (request.tx === 'in' && (txClient === null || txClient !== client)) {
          throw Object.assign(new Error('connection lost inside the transaction'), { code: 'PG_TRANSACTION_LOST' });
        }
        const c = request.tx === 'in' ? txClient : await open();
        const result = await c.query({ text: request.sql, values: request.params });
        answer = { rows: result.rows, rowCount: result.rowCount ?? 0 };
      }
    } catch (error) {
      const code = typeof error.code === 'string' ? error.code : 'PG_ERROR';
      // A broken connection is replaced on the next query; a query error leaves it usable.
      if (client && !/^[0-9A-Z]{5}$/.test(code)) { const dead = client; client = null; dead.end().catch(() => {}); }
      answer = { error: { code, message: String(error.message || error) } };
    }
    port.postMessage({ seq: request.seq, ...answer });
    Atomics.store(signal, 0, request.seq);
    Atomics.notify(signal, 0);
  });
});
`;

export class SyncPg {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;
  private depth = 0;
  private closed = false;

  constructor(private readonly options: SyncPgOptions) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const pgPath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        pgPath, port: port2, signal: this.signal, url: options.url, connectTimeoutMs: options.connectTimeoutMs,
        queryTimeoutMs: options.queryTimeoutMs, applicationName: options.applicationName,
      },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
  }

  query(sql: string, params: readonly unknown[] = []): QueryResult {
    return this.request({ sql, params: params as unknown[], tx: this.depth > 0 ? 'in' : undefined });
  }

  /** Runs `fn` in one transaction (nested calls join the outer one); rolls back when it throws. */
  transaction<R>(fn: () => R, begin = 'BEGIN'): R {
    if (this.depth > 0) return fn();
    this.request({ sql: begin, params: [], tx: 'begin' });
    this.depth = 1;
    let result: R;
    try {
      result = fn();
    } catch (error) {
      this.depth = 0;
      try {
        this.request({ sql: 'ROLLBACK', params: [], tx: 'end' });
      } catch {
        // The connection is gone: the server rolled it back.
      }
      throw error;
    }
    this.depth = 0;
    this.request({ sql: 'COMMIT', params: [], tx: 'end' });
    return result;
  }

  get open(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }

  private request(request: { sql: string; params: unknown[]; tx: 'begin' | 'in' | 'end' | undefined }): QueryResult {
    if (this.closed) throw new PgError('PG_CLOSED', 'the PostgreSQL store is closed');
    const seq = ++this.seq;
    this.port.postMessage({ seq, ...request });
    const deadline = Date.now() + this.options.queryTimeoutMs + this.options.connectTimeoutMs;
    for (;;) {
      for (let received = receiveMessageOnPort(this.port); received; received = receiveMessageOnPort(this.port)) {
        const answer = received.message as { seq: number; rows?: QueryResult['rows']; rowCount?: number; error?: { code: string; message: string } };
        if (answer.seq !== seq) continue; // the late answer of a query that timed out
        if (answer.error) throw new PgError(answer.error.code, answer.error.message);
        return { rows: answer.rows ?? [], rowCount: answer.rowCount ?? 0 };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new PgError('PG_TIMEOUT', `PostgreSQL did not answer within ${this.options.queryTimeoutMs + this.options.connectTimeoutMs} ms`);
      const seen = Atomics.load(this.signal, 0);
      if (seen !== seq) Atomics.wait(this.signal, 0, seen, remaining);
    }
  }
}
