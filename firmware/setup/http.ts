/**
 * A deliberately small HTTP/1.1 server for the setup page, on top of the TCP seam so the same code
 * runs on the board, in the simulator and in tests: one request per connection, bounded size and
 * read window, `Connection: close` on every answer.
 */
import { utf8Decode, utf8Encode } from '../../shared/index';
import type { Logger, TcpConnection, TcpConnectionHandler, TcpListener, TcpServerFactory, Timers } from '../platform/types';

export interface HttpRequest {
  method: string;
  path: string;
  query: string;
  /** Header names lower-cased; the last occurrence wins. */
  headers: { [name: string]: string };
  body: string;
}

export interface HttpResponse {
  status: number;
  headers?: Array<[string, string]>;
  body: string;
  /** Runs after the response was handed to the socket (e.g. restart after saving). */
  after?: () => void;
}

export interface HttpServerOptions {
  port: number;
  maxConnections: number;
  maxRequestBytes: number;
  readWindowMs: number;
  timers: Timers;
  logger: Logger;
  /** `client` is the peer's address (may be empty where the platform cannot tell). */
  handle(request: HttpRequest, client: string): HttpResponse;
}

const REASONS: { readonly [status: number]: string } = Object.freeze({
  200: 'OK', 303: 'See Other', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error',
});

const HEADER_END = '\r\n\r\n';
const IGNORE: TcpConnectionHandler = Object.freeze({ data() {}, end() {} });

type Parsed = { request: HttpRequest } | { incomplete: true } | { error: number };

/** Parses a buffered request; `incomplete` until headers and the declared body have arrived. */
export function parseHttpRequest(bytes: Uint8Array): Parsed {
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch {
    return { error: 400 };
  }
  const end = text.indexOf(HEADER_END);
  if (end < 0) return { incomplete: true };
  const lines = text.slice(0, end).split('\r\n');
  const start = /^([A-Z]{3,7}) (\/[^\s]*) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (!start) return { error: 400 };
  const headers: { [name: string]: string } = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: 400 };
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const declared = headers['content-length'] ?? '0';
  if (!/^\d{1,6}$/.test(declared)) return { error: 400 };
  const bodyBytes = utf8Encode(text.slice(end + HEADER_END.length));
  if (bodyBytes.length < Number(declared)) return { incomplete: true };
  const target = start[2]!;
  const q = target.indexOf('?');
  return {
    request: {
      method: start[1]!,
      path: q >= 0 ? target.slice(0, q) : target,
      query: q >= 0 ? target.slice(q + 1) : '',
      headers,
      body: utf8Decode(bodyBytes.subarray(0, Number(declared))),
    },
  };
}

export function serializeResponse(response: HttpResponse): string {
  const body = utf8Encode(response.body);
  let head = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Status'}\r\n`;
  for (const [name, value] of response.headers ?? []) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return head + response.body;
}

export class HttpServer {
  private listener: TcpListener | null = null;
  private active = 0;

  constructor(private readonly options: HttpServerOptions) {}

  get running(): boolean {
    return this.listener !== null;
  }

  start(tcp: TcpServerFactory): void {
    if (!this.listener) this.listener = tcp.listen(this.options.port, (connection) => this.accept(connection));
  }

  stop(): void {
    this.listener?.close();
    this.listener = null;
  }

  private accept(connection: TcpConnection): TcpConnectionHandler {
    const { options } = this;
    if (this.active >= options.maxConnections) {
      connection.close();
      return IGNORE;
    }
    this.active++;
    let buffer = new Uint8Array(0);
    let done = false;
    const finish = (response: HttpResponse | null): void => {
      if (done) return;
      done = true;
      this.active--;
      options.timers.clearTimeout(timer);
      if (response) connection.write(serializeResponse(response));
      connection.close();
      if (response?.after) response.after();
    };
    const timer = options.timers.setTimeout(() => finish(buffer.length > 0 ? { status: 408, body: 'Request timeout' } : null), options.readWindowMs);
    return {
      data: (chunk) => {
        if (done) return;
        if (buffer.length + chunk.length > options.maxRequestBytes) {
          finish({ status: 413, body: 'Request too large' });
          return;
        }
        const next = new Uint8Array(buffer.length + chunk.length);
        next.set(buffer);
        next.set(chunk, buffer.length);
        buffer = next;
        const parsed = parseHttpRequest(buffer);
        if ('incomplete' in parsed) return;
        if ('error' in parsed) {
          finish({ status: parsed.error, body: 'Bad request' });
          return;
        }
        try {
          finish(options.handle(parsed.request, connection.remoteAddress));
        } catch (error) {
          options.logger.log('error', `setup page: ${String(error)}`);
          finish({ status: 500, body: 'Internal error' });
        }
      },
      end: () => finish(null),
    };
  }
}
