import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
type Bindings = Record<string, unknown>;

/**
 * A request's logger, made only when the request logs something (issue 17). Fastify builds a
 * pino child per request, with its request id bound, and most requests never log (plugins/
 * request-log.ts logs refusals and slow answers only): that child cost about 1.5 % of an HTTP
 * round trip. The first call builds the real child, so the lines, bindings and redaction are
 * the same as before.
 */
class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly options: object) {}

  get level(): string {
    return this.real().level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void { this.call('fatal', args); }
  error(...args: unknown[]): void { this.call('error', args); }
  warn(...args: unknown[]): void { this.call('warn', args); }
  info(...args: unknown[]): void { this.call('info', args); }
  debug(...args: unknown[]): void { this.call('debug', args); }
  trace(...args: unknown[]): void { this.call('trace', args); }
  silent(...args: unknown[]): void { this.call('silent', args); }

  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  private call(method: LogMethod, args: unknown[]): void {
    (this.real()[method] as (...a: unknown[]) => void)(...args);
  }

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }
}

/** Fastify's `childLoggerFactory` option (app.ts). The class has every member of FastifyBaseLogger (level, the log methods, child). */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = function lazyChild(logger, bindings, options) {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
};
