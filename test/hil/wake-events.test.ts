/**
 * Hardware-in-the-loop, wake confirmation through the relay (issue 16) on every engine: the board
 * publishes its sealed wake_result event on its own socket, the relay's routing core fans it out to
 * every client subscribed to that board, and each opens it with the device token (the relay cannot).
 * A v1.0-style client of the same account that never subscribed sees nothing new. The computers to
 * wake are silent listeners on 127.0.0.1; nothing is probed or woken anywhere else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, JsonObject } from '../../shared/index';
import { ClientSocket, V1Client } from './helpers/client';
import { captureWol, ENGINES, randomDeviceId, randomToken, startDevice, type HilDevice, type WolCapture } from './helpers/device';
import { startHilRelay, type HilRelay } from './helpers/relay';
import { startSleepyComputer, type SleepyComputer } from './helpers/sleepy-computer';

const isWakeResult = (frame: JsonObject): boolean => frame.type === 'event' && frame.event === 'wake_result';

describe.each(ENGINES)('wake confirmation events through the relay on the %s engine', (engine) => {
  let relay: HilRelay;
  let wol: WolCapture;
  let device: HilDevice;
  let apiToken: string;
  let client: V1Client;
  let asker: ClientSocket;
  let follower: ClientSocket;
  let legacy: ClientSocket;
  let boardEndpoint: string;
  const sleepers: SleepyComputer[] = [];

  /** Subscribes and returns the board's endpoint as the relay reports it. */
  async function subscribe(socket: ClientSocket, endpoints: string | string[]): Promise<string> {
    socket.send(JSON.stringify({ type: 'subscribe', id: 'sub', endpoints }));
    const subscribed = await socket.next((frame) => frame.type === 'subscribed', 5000);
    const board = (subscribed.endpoints as JsonObject[]).find((e) => e.device_id === device.deviceId);
    expect(board).toMatchObject({ kind: 'board', online: true });
    return String(board!.endpoint);
  }

  /** The wake_result event as each subscriber received it, after checking the relay's frame. */
  async function nextWakeResult(socket: ClientSocket, timeoutMs: number): Promise<{ frame: JsonObject; inner: JsonObject }> {
    const frame = await socket.next(isWakeResult, timeoutMs);
    expect(frame).toMatchObject({ type: 'event', from: boardEndpoint, device_id: device.deviceId, event: 'wake_result' });
    expect(typeof frame.timestamp).toBe('number');
    const content = frame.content as unknown as Envelope;
    // Sealed by the board: the relay passed it on unread, and only the device token opens it.
    expect(content).toMatchObject({ device_id: device.deviceId, version: '1.0' });
    expect(content.payload).toMatch(/^[0-9a-f]+$/);
    expect(() => new V1Client(device.deviceId, randomToken()).open(content)).toThrow();
    return { frame, inner: client.open(content) };
  }

  beforeAll(async () => {
    relay = await startHilRelay();
    wol = await captureWol();
    apiToken = await relay.register(`events_${engine}_${randomBytes(3).toString('hex')}`);
    const deviceId = randomDeviceId();
    await relay.registerDevice(apiToken, deviceId);
    device = await startDevice({ engine, wolPort: wol.port, deviceId, relayUrl: relay.ws, apiToken });
    await device.waitForLine(/cloud: relay says welcome/);
    client = new V1Client(device.deviceId, device.token);
    asker = await ClientSocket.open(relay.ws, apiToken, `asker-${engine}`);
    follower = await ClientSocket.open(relay.ws, apiToken, `follower-${engine}`);
    legacy = await ClientSocket.open(relay.ws, apiToken, `cli_${device.deviceId}_${randomBytes(4).toString('hex')}`);
    boardEndpoint = await subscribe(asker, 'boards');
    expect(await subscribe(follower, [device.deviceId])).toBe(boardEndpoint);
  });

  afterAll(async () => {
    for (const socket of [asker, follower, legacy]) socket?.close();
    await device?.stop();
    await relay?.close();
    for (const sleeper of sleepers) sleeper.close();
    wol?.close();
    expect(device.fatal).toEqual([]);
  });

  it('wake through the relay → both subscribers receive wake_result up with after_ms, opened with the device token', async () => {
    const sleepy = await startSleepyComputer();
    sleepers.push(sleepy);
    const saved = await asker.command(client, 'target_set', { name: 'desk', mac: '02:00:00:00:16:01', host: '127.0.0.1', port: sleepy.port, wait: 30, retries: 1 });
    expect(saved.reply).toMatchObject({ result: 'target_saved' });
    const woken = await asker.command(client, 'wake', { target: 'desk' });
    expect(woken.reply).toMatchObject({ status: 'success', result: 'wol_sent', target: 'desk', watching: true });
    const wokenAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    sleepy.wake();
    const mine = await nextWakeResult(asker, 20_000);
    const theirs = await nextWakeResult(follower, 5000);
    expect(mine.inner).toMatchObject({ event: 'wake_result', target: 'desk', state: 'up', trigger: 'command' });
    expect(mine.inner.after_ms as number).toBeGreaterThanOrEqual(2500);
    expect(mine.inner.after_ms as number).toBeLessThanOrEqual(Date.now() - wokenAt + 1000);
    // One event, fanned out: the same sealed bytes reach every subscriber.
    expect(theirs.frame.content).toEqual(mine.frame.content);
    expect(theirs.inner).toEqual(mine.inner);
  }, 45_000);

  it('a wake that never answers → both subscribers receive wake_result timeout after the configured wait', async () => {
    const silent = await startSleepyComputer();
    sleepers.push(silent);
    await asker.command(client, 'target_set', { name: 'never', mac: '02:00:00:00:16:02', host: '127.0.0.1', port: silent.port, wait: 10, retries: 0 });
    expect((await asker.command(client, 'wake', { target: 'never' })).reply).toMatchObject({ target: 'never', watching: true });
    const mine = await nextWakeResult(asker, 25_000);
    const theirs = await nextWakeResult(follower, 5000);
    expect(mine.inner).toMatchObject({ event: 'wake_result', target: 'never', state: 'timeout' });
    expect(mine.inner.after_ms as number).toBeGreaterThanOrEqual(10_000);
    expect(theirs.inner).toEqual(mine.inner);
  }, 45_000);

  it('a v1.0-style client of the account that never subscribed saw nothing new, and still gets exactly its ACK and reply', async () => {
    expect(legacy.takePending()).toEqual([]);
    const { reply, ack } = await legacy.command(client, 'targets_list');
    expect(ack).toEqual({ status: 'success', device_id: device.deviceId, delivered: true, queued: false, message: 'Delivered to device' });
    expect(reply).toMatchObject({ status: 'success', targets: [{ name: 'desk' }, { name: 'never' }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(legacy.takePending()).toEqual([]);
    // The subscribers saw no further event either: two wakes, two events each.
    expect(asker.takePending().filter(isWakeResult)).toEqual([]);
    expect(follower.takePending().filter(isWakeResult)).toEqual([]);
  }, 20_000);
});
