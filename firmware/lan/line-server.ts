/**
 * LAN command server (spec 3.1): one newline-terminated request line per connection, read within
 * a fixed window from accept, one reply line, then close. Unlike v1.0 it keeps reading several
 * connections at once, caps how many, never buffers past the largest legal packet, and answers an
 * oversize line at once with the v1.0 JSON_PARSE reply instead of truncating it (B3, B4, B27).
 */
import { utf8Decode } from '../../shared/index';
import { PENDING_REPLY_MAX_MS } from '../constants';
import type { HandledPacket } from '../packet-handler';
import type { Logger, TcpConnection, TcpConnectionHandler, TcpListener, TcpServerFactory, Timers } from '../platform/types';

export interface LineResponder {
  handle(text: string, transport: 'tcp'): HandledPacket;
  unparsable(): HandledPacket;
}

export interface LineServerOptions {
  port: number;
  maxConnections: number;
  maxLineBytes: number;
  readWindowMs: number;
  timers: Timers;
  logger: Logger;
  responder: LineResponder;
}

const NEWLINE = 10;
const IGNORE: TcpConnectionHandler = Object.freeze({ data() {}, end() {} });

export class LineServer {
  private listener: TcpListener | null = null;
  private readonly open = new Set<LineConnection>();

  constructor(private readonly options: LineServerOptions) {}

  start(tcp: TcpServerFactory): void {
    if (this.listener) return;
    this.listener = tcp.listen(this.options.port, (connection) => this.accept(connection));
  }

  stop(): void {
    this.listener?.close();
    this.listener = null;
    for (const connection of [...this.open]) connection.abort();
  }

  get connections(): number {
    return this.open.size;
  }

  private accept(connection: TcpConnection): TcpConnectionHandler {
    if (this.open.size >= this.options.maxConnections) {
      this.options.logger.log('warn', 'LAN: connection refused, too many in flight');
      connection.close();
      return IGNORE;
    }
    const state = new LineConnection(connection, this.options, () => this.open.delete(state));
    this.open.add(state);
    return state;
  }
}

class LineConnection implements TcpConnectionHandler {
  private chunks: Uint8Array[] = [];
  private length = 0;
  private finished = false;
  /** The give-up timer of a reply that waits (status); null otherwise. */
  private waiting: unknown = null;
  private readonly timer: unknown;

  constructor(
    private readonly connection: TcpConnection,
    private readonly options: LineServerOptions,
    private readonly release: () => void,
  ) {
    // The window runs from accept and is not extended by data, so a slow sender cannot hold a slot.
    this.timer = options.timers.setTimeout(() => this.deadline(), options.readWindowMs);
  }

  data(chunk: Uint8Array): void {
    if (this.finished) return;
    const newline = chunk.indexOf(NEWLINE);
    const part = newline >= 0 ? chunk.subarray(0, newline) : chunk;
    if (this.length + part.length > this.options.maxLineBytes) {
      this.options.logger.log('warn', 'LAN: request line too long, refused');
      this.reply(this.options.responder.unparsable());
      return;
    }
    if (part.length > 0) {
      this.chunks.push(part.slice());
      this.length += part.length;
    }
    if (newline >= 0) this.process();
  }

  end(): void {
    if (this.finished) return;
    if (this.length > 0) this.process();
    else this.abort();
  }

  abort(): void {
    if (this.waiting !== null) {
      // A reply still waiting (stop, or the peer gone): give it up.
      this.options.timers.clearTimeout(this.waiting);
      this.waiting = null;
      this.release();
      this.connection.close();
      return;
    }
    if (this.finished) return;
    this.finish();
    this.connection.close();
  }

  private deadline(): void {
    if (this.finished) return;
    // v1.0 processes whatever arrived in the window; with nothing received it closes silently.
    if (this.length > 0) this.process();
    else this.abort();
  }

  private process(): void {
    const bytes = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    let text: string | null;
    try {
      text = utf8Decode(bytes).trim();
    } catch {
      text = null;
    }
    if (text === '') {
      this.abort();
      return;
    }
    try {
      const { responder } = this.options;
      this.reply(text === null ? responder.unparsable() : responder.handle(text, 'tcp'));
    } catch (error) {
      this.options.logger.log('error', `LAN: request failed: ${String(error)}`);
      this.abort();
    }
  }

  private reply(handled: HandledPacket): void {
    if (handled.later) return this.replyLater(handled.later);
    this.finish();
    this.connection.write(handled.text + '\n');
    this.connection.close();
    if (handled.after) handled.after();
  }

  /** A reply that waits (status probes): the connection keeps its slot until it is sent or given up. */
  private replyLater(later: NonNullable<HandledPacket['later']>): void {
    this.finished = true;
    this.chunks = [];
    this.length = 0;
    const { timers } = this.options;
    timers.clearTimeout(this.timer);
    this.waiting = timers.setTimeout(() => {
      this.options.logger.log('warn', 'LAN: reply not ready in time; connection closed');
      this.abort();
    }, PENDING_REPLY_MAX_MS);
    later((text) => {
      if (this.waiting === null) return;
      timers.clearTimeout(this.waiting);
      this.waiting = null;
      this.release();
      this.connection.write(text + '\n');
      this.connection.close();
    });
  }

  private finish(): void {
    this.finished = true;
    this.chunks = [];
    this.length = 0;
    this.options.timers.clearTimeout(this.timer);
    this.release();
  }
}
