import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../server/logger';
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
    relay = await startRelay({ logger: { level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, stream: sink } });
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
    expect(typeof logged[0]!.responseTime).toBe('number');
    expect(JSON.stringify(lines)).not.toContain(secret);
  });
});
