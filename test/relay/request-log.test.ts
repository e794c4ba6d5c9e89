import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions, redactUrl } from '../../server/logger';
import { startRelay, type RunningRelay } from './helpers/relay';

/** Request logging: one redacted line per error response, none for ordinary successful requests. */
describe('relay request log', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let relay: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay({ logger: { ...(loggerOptions('info') as object), stream: sink } });
  });
  afterAll(async () => relay.close());

  const requestLines = () => lines.filter((line) => line.req !== undefined);

  it('a successful request writes no line; a refused one writes exactly one, without its token', async () => {
    const secret = 'sk-' + 'A'.repeat(43);
    const health = await relay.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(requestLines()).toEqual([]);

    const refused = await relay.app.inject({ method: 'GET', url: '/api/devices', headers: { authorization: `Bearer ${secret}` } });
    expect(refused.statusCode).toBe(401);
    const logged = requestLines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'request refused', res: { statusCode: 401 } });
    // The request's child logger (built lazily, on this first line) still binds the request id.
    expect(logged[0]!.reqId).toEqual(expect.any(String));
    expect(typeof logged[0]!.responseTime).toBe('number');
    expect(JSON.stringify(lines)).not.toContain(secret);
  });

  it('catalogue section 3: a token in the query string is redacted from the logged URL (token, api_token, access_token, key, ...)', async () => {
    const secrets = ['sk-' + 'B'.repeat(43), 'sk-' + 'C'.repeat(43), 'eyJhbGciOiJIUzI1NiJ9.e30.sig' + 'D'.repeat(20), 'K'.repeat(40), 'S'.repeat(30)];
    const url = `/api/devices?api_token=${secrets[0]}&token=${secrets[1]}&Access_Token=${secrets[2]}&key=${secrets[3]}&wait=5&password=${secrets[4]}`;
    const before = lines.length;
    const refused = await relay.app.inject({ method: 'GET', url });
    expect(refused.statusCode).toBe(401);
    const logged = lines.slice(before).filter((line) => line.req !== undefined);
    expect(logged).toHaveLength(1);
    const text = JSON.stringify(lines);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // The rest of the URL stays readable, so the line is still useful.
    expect((logged[0]!.req as { url: string }).url).toBe(
      '/api/devices?api_token=[redacted]&token=[redacted]&Access_Token=[redacted]&key=[redacted]&wait=5&password=[redacted]',
    );
  });
});

describe('redactUrl', () => {
  it('keeps paths and harmless parameters, masks secret ones (also percent-encoded names), never throws', () => {
    expect(redactUrl('/api/health')).toBe('/api/health');
    expect(redactUrl('/api/pull?wait=5')).toBe('/api/pull?wait=5');
    expect(redactUrl('/x?%74oken=abc&a=1#frag')).toBe('/x?%74oken=[redacted]&a=1#frag');
    expect(redactUrl('/x?api_key=1&apikey=2&secret=3&jwt=4&refresh_token=5&id_token=6&device_token=7&sig=8&signature=9'))
      .toBe('/x?api_key=[redacted]&apikey=[redacted]&secret=[redacted]&jwt=[redacted]&refresh_token=[redacted]&id_token=[redacted]&device_token=[redacted]&sig=[redacted]&signature=[redacted]');
    expect(redactUrl('/x?%ZZ=1&token')).toBe('/x?%ZZ=1&token=[redacted]');
  });

  it('loggerOptions() applies it to every logged request', () => {
    const options = loggerOptions('info') as { serializers?: { req?: (r: unknown) => { url: string } } };
    expect(options.serializers?.req?.({ method: 'GET', url: '/a?token=sk-x', hostname: 'h', ip: '1.2.3.4', socket: { remotePort: 1 } }).url).toBe('/a?token=[redacted]');
  });
});
