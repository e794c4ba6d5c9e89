/**
 * The long poll's hang-up signal (server/routes/hangup.ts), on real HTTP responses over loopback:
 * built late (only when a pull waits), it still sees a caller that left before it existed.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Hangup } from '../../server/routes/hangup';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** One request to a server whose handler gets the response; returns it and the client request. */
async function exchange(): Promise<{ res: ServerResponse; client: ReturnType<typeof request> }> {
  const arrived = new Promise<ServerResponse>((resolve) => {
    server = createServer((_req: IncomingMessage, res: ServerResponse) => resolve(res));
  });
  server!.listen(0, '127.0.0.1');
  await once(server!, 'listening');
  const client = request({ host: '127.0.0.1', port: (server!.address() as AddressInfo).port, method: 'POST', path: '/api/pull' });
  client.on('error', () => {});
  client.end('{}');
  return { res: await arrived, client };
}

describe('long-poll hang-up signal', () => {
  it('a caller that hung up before the signal was first asked for is seen at once', async () => {
    const { res, client } = await exchange();
    client.destroy();
    await once(res, 'close');
    const hangup = new Hangup(res);
    expect(hangup.signal.aborted).toBe(true);
  });

  it('a caller that hangs up while the pull waits aborts the signal, once; the same signal is returned each time', async () => {
    const { res, client } = await exchange();
    const hangup = new Hangup(res);
    const { signal } = hangup;
    expect(signal.aborted).toBe(false);
    expect(hangup.signal).toBe(signal);
    const aborted = once(signal, 'abort');
    client.destroy();
    await aborted;
    expect(signal.aborted).toBe(true);
    expect(res.listenerCount('close')).toBeLessThanOrEqual(2);
  });

  it('a response that completes normally never aborts it', async () => {
    const { res, client } = await exchange();
    const hangup = new Hangup(res);
    const { signal } = hangup;
    const answered = once(client, 'response');
    const closed = once(res, 'close');
    res.end('{}');
    const [incoming] = (await answered) as [IncomingMessage];
    incoming.resume();
    await closed;
    expect(signal.aborted).toBe(false);
    expect(new Hangup(res).signal.aborted).toBe(false);
  });
});
