import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { PeerSocket } from '../../server/hub/types';
import { toPeer, type PeerBounds } from '../../server/ws/peer';
import { api, registerDevice, registerUser } from './helpers/http';
import { commandPacket, newDeviceToken, open, responsePacket } from './helpers/packets';
import { startRelay, type RunningRelay } from './helpers/relay';
import { connectClient, connectDevice, WsProbe } from './helpers/ws';

/** Linux loopback absorbs ~4 MB in kernel buffers before `bufferedAmount` grows; this is past that. */
const SEND_LIMIT_BYTES = 32 * 1024 * 1024;
const FRAME = 'x'.repeat(1200);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const pauseReading = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket.pause();
const resumeReading = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket.resume();
const tick = () => new Promise((r) => setImmediate(r));

/** A real ws server on 127.0.0.1:0 whose server-side sockets are wrapped by the relay's toPeer. */
async function peerPair(bounds: PeerBounds): Promise<{ server: WebSocket; peer: PeerSocket; client: WsProbe }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => resolve());
  }));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const { port } = wss.address() as { port: number };
  const client = new WsProbe(`ws://127.0.0.1:${port}`);
  await client.opened;
  const server = await accepted;
  return { server, peer: toPeer(server, 1, null, bounds), client };
}

/** Pushes frames through the peer until it refuses one; returns the largest send buffer seen. */
async function pushUntilRefused(peer: PeerSocket, server: WebSocket): Promise<{ sent: number; maxBuffered: number }> {
  let sent = 0;
  let maxBuffered = 0;
  while (sent * FRAME.length < SEND_LIMIT_BYTES) {
    if (!peer.send(FRAME)) break;
    sent += 1;
    maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    if (sent % 200 === 0) await tick();
  }
  return { sent, maxBuffered };
}

describe('slow consumer (F7)', () => {
  it('F7: a client that stops reading is closed 1013 once the send buffer passes the cap; the buffer never exceeds it', async () => {
    const cap = 256 * 1024;
    const { server, peer, client } = await peerPair({ maxBufferedBytes: cap, drainTimeoutMs: 60_000, closeGraceMs: 10_000 });
    pauseReading(client.socket);
    const { sent, maxBuffered } = await pushUntilRefused(peer, server);
    expect(sent * FRAME.length).toBeLessThan(SEND_LIMIT_BYTES);
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(cap);
    expect(server.readyState).toBe(WebSocket.CLOSING);
    expect(peer.isOpen()).toBe(false);
    expect(peer.send(FRAME)).toBe(false);
    resumeReading(client.socket);
    expect(await client.closed).toEqual({ code: 1013, reason: 'slow consumer' });
  });

  it('F7: a send that has not drained within the drain timeout closes the socket 1013, below the byte cap', async () => {
    const { server, peer, client } = await peerPair({ maxBufferedBytes: 64 * 1024 * 1024, drainTimeoutMs: 300, closeGraceMs: 10_000 });
    pauseReading(client.socket);
    let sent = 0;
    // Judged after a tick: sends of one turn are corked together and handed to the kernel at its end.
    while (sent * FRAME.length < SEND_LIMIT_BYTES) {
      expect(peer.send(FRAME)).toBe(true);
      sent += 1;
      if (sent % 200 === 0) {
        await tick();
        if (server.bufferedAmount > 0) break;
      }
    }
    expect(server.bufferedAmount).toBeGreaterThan(0);
    expect(server.readyState).toBe(WebSocket.OPEN);
    await new Promise((r) => setTimeout(r, 600));
    expect(server.readyState).toBe(WebSocket.CLOSING);
    resumeReading(client.socket);
    expect((await client.closed).code).toBe(1013);
  });

  it('F7: a peer that never reads at all is cut after the close grace, freeing its buffer', async () => {
    const { server, peer, client } = await peerPair({ maxBufferedBytes: 128 * 1024, drainTimeoutMs: 60_000, closeGraceMs: 200 });
    pauseReading(client.socket);
    await pushUntilRefused(peer, server);
    const closed = new Promise<number>((resolve) => server.once('close', (code) => resolve(code)));
    const started = Date.now();
    expect(await closed).toBe(1006);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.readyState).toBe(WebSocket.CLOSED);
  });

  it('F7: a reading client with the same bounds receives everything and stays open', async () => {
    const { server, peer, client } = await peerPair({ maxBufferedBytes: 256 * 1024, drainTimeoutMs: 300, closeGraceMs: 10_000 });
    for (let i = 0; i < 2000; i += 1) {
      expect(peer.send(FRAME)).toBe(true);
      if (i % 100 === 0) await tick();
    }
    for (let i = 0; i < 2000; i += 1) await client.nextText();
    await new Promise((r) => setTimeout(r, 400));
    expect(server.readyState).toBe(WebSocket.OPEN);
    client.close();
  });

  it('issue 17: under load, the frames one turn sends to a socket reach the kernel in one write, in order; under light load at once', async () => {
    const bounds = { maxBufferedBytes: 1024 * 1024, drainTimeoutMs: 60_000, closeGraceMs: 10_000 };
    const pairs = await Promise.all([1, 2, 3, 4].map(() => peerPair(bounds)));
    let writes = 0;
    for (const { server } of pairs) {
      const socket = (server as unknown as { _socket: Record<string, unknown> })._socket;
      for (const name of ['_write', '_writev']) {
        const original = socket[name] as ((...args: unknown[]) => unknown) | undefined;
        if (original) socket[name] = (...args: unknown[]) => { writes += 1; return original.apply(socket, args); };
      }
    }
    /** Sends three frames to each peer in one turn; returns the writes made before the turn ended. */
    const turn = async (label: string, peers = pairs) => {
      const start = writes;
      for (const { peer } of peers) for (const part of ['ack', 'reply', 'event']) expect(peer.send(`${label}-${part}`)).toBe(true);
      const before = writes - start;
      await tick();
      for (const { client } of peers) expect([await client.nextText(), await client.nextText(), await client.nextText()]).toEqual(['ack', 'reply', 'event'].map((p) => `${label}-${p}`));
      return before;
    };
    // Load is sampled every so many sends; four busy sockets in a turn are load.
    let rounds = 0;
    while ((await turn(`warm${rounds}`)) !== 0 && rounds < 40) rounds += 1;
    expect(rounds).toBeLessThan(40);
    const startWrites = writes;
    expect(await turn('busy')).toBe(0);
    expect(writes - startWrites).toBe(pairs.length);
    // One socket alone in a turn is light load: its next sends go to the kernel at once.
    const one = [pairs[0]!];
    await turn('alone', one);
    expect(await turn('light', one)).toBe(3);
  });

  describe('through the relay', () => {
    let relay: RunningRelay;
    afterEach(async () => relay.close());

    it('F7: the relay closes a client that stops reading (1013) while it keeps pushing to it; others are unaffected and later replies wait for HTTP pull', async () => {
      relay = await startRelay({
        // Small bounds, and no rate limit, so the test fills the buffers in well under a second.
        ws: { maxBufferedBytes: 64 * 1024, drainTimeoutMs: 500, messagesPerSecond: 1e6, messageBurst: 1e6 },
      });
      const deviceToken = newDeviceToken();
      const user = await registerUser(relay.http);
      const id = 'WL5104';
      await registerDevice(relay.http, user.token, id);
      const { probe: device } = await connectDevice(relay.ws, id, user.token);
      const { probe: healthy } = await connectClient(relay.ws, 'healthy', user.token);
      const { probe: slow } = await connectClient(relay.ws, 'slow', user.token);

      // The slow client asks the device something, then stops reading.
      slow.send(commandPacket(deviceToken, id, 'ping', 's1'));
      await device.next();
      pauseReading(slow.socket);
      // Every bad frame makes the relay push an error reply at the paused client.
      const bad = JSON.stringify({ device_id: id, version: '1.0' });
      for (let i = 0; i < 200_000 && relay.app.hub.counts().clients === 2; i += 1) {
        slow.socket.send(bad);
        if (i % 500 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      expect(relay.app.hub.counts().clients).toBe(1);

      // The device's reply to the slow client's command is not buffered for it: it waits for a pull.
      device.send(responsePacket(deviceToken, id, { status: 'success', request_id: 's1' }));
      healthy.send(commandPacket(deviceToken, id, 'ping', 'h1'));
      expect(await healthy.next()).toMatchObject({ delivered: true });
      expect(open(deviceToken, await device.next()).request_id).toBe('h1');
      device.send(responsePacket(deviceToken, id, { status: 'success', request_id: 'h1' }));
      expect(open(deviceToken, await healthy.next()).request_id).toBe('h1');
      const pulled = await api(relay.http, 'POST', '/api/pull', { token: user.token, body: { device_id: id } });
      expect(pulled.body.count).toBe(1);

      resumeReading(slow.socket);
      expect((await slow.closed).code).toBe(1013);
      healthy.close();
      device.close();
    });
  });
});
