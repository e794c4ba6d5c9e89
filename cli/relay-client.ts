import { CliError, connectionError } from './errors';

/** A relay answer is a small JSON document; a bigger one is refused instead of buffered. */
export const MAX_RELAY_RESPONSE_BYTES = 1024 * 1024;

export interface RelayRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** API token or JWT, sent as `Authorization: Bearer` (what both v1.0 and our relay accept). */
  bearer?: string;
  timeoutMs: number;
}

export interface RelayResponse {
  status: number;
  body: unknown;
}

function detailOf(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['detail', 'message', 'error']) {
      const value = record[key];
      if (typeof value === 'string') return value;
      if (value !== undefined) return JSON.stringify(value);
    }
  }
  return typeof body === 'string' && body.length > 0 ? body.slice(0, 200) : undefined;
}

/** Calls the relay's JSON API; maps network failures, timeouts and 401 to the CLI's errors. */
export async function callRelay(base: string, request: RelayRequest): Promise<RelayResponse> {
  const url = `${base}${request.path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new CliError('TIMEOUT', `the relay ${base} did not answer within ${Math.round(request.timeoutMs / 1000)} s`);
    }
    throw connectionError(error, base);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RELAY_RESPONSE_BYTES) throw new CliError('RELAY_ERROR', `the relay sent a ${declared}-byte answer; refusing it`);
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw connectionError(error, base);
  }
  if (text.length > MAX_RELAY_RESPONSE_BYTES) throw new CliError('RELAY_ERROR', 'the relay answer is too large');
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the text for the message.
  }
  if (response.status === 401) {
    const why = detailOf(body);
    throw new CliError('RELAY_AUTH', `the relay ${base} refused the credentials (401${why ? `: ${why}` : ''}); run \`wakelink login --relay ${base}\``);
  }
  return { status: response.status, body };
}

/** For 2xx-only calls: any other status becomes a RELAY_ERROR naming the relay's reason. */
export function expectOk(response: RelayResponse, what: string): Record<string, unknown> {
  if (response.status >= 200 && response.status < 300 && response.body && typeof response.body === 'object') {
    return response.body as Record<string, unknown>;
  }
  const why = detailOf(response.body) ?? 'no reason given';
  throw new CliError('RELAY_ERROR', `${what} failed (HTTP ${response.status}: ${why})`, { http_status: response.status });
}
