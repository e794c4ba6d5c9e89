/**
 * Hardware-in-the-loop, claiming (issue 14): the real firmware in the simulator, with a relay URL
 * and no token at all, connects to the real relay's claim socket and prints its code; the owner
 * claims it over the relay's API; the board stores its own credential, reconnects as itself and
 * answers commands through the relay; revoking the credential closes its socket, the board claims
 * again with a new code, and a second claim brings it back. Catalogue: C5 (the board is its own
 * principal), L9/F18 (it reconnects by itself). Every case runs on each engine of ENGINES.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSocket, httpCommand, V1Client } from './helpers/client';
import { captureWol, ENGINES, expectedMagicPacket, startDevice, type HilDevice, type WolCapture } from './helpers/device';
import { startHilRelay, type HilRelay } from './helpers/relay';

const CLAIM_LINE = /CLAIM code=(\d{6}) \(valid 10 min\)/;
const WELCOME = /cloud: relay says welcome/;

describe.each(ENGINES)('claiming a board on the %s engine', (engine) => {
  let relay: HilRelay;
  let wol: WolCapture;
  let apiToken: string;
  const devices: HilDevice[] = [];

  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${relay.http}${route}`, {
      method, headers: { authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const codeShown = async (device: HilDevice, from: number) => CLAIM_LINE.exec((await device.waitForLine(CLAIM_LINE, 10_000, from)).message)![1]!;

  beforeAll(async () => {
    relay = await startHilRelay();
    wol = await captureWol();
    apiToken = await relay.register(`hil_claim_${engine}_${randomBytes(3).toString('hex')}`);
  });

  afterAll(async () => {
    for (const device of devices) await device.stop();
    await relay?.close();
    wol?.close();
    for (const device of devices) {
      expect(device.lines.filter((l) => l.message.includes(apiToken) || l.message.includes(device.token))).toEqual([]);
      expect(device.fatal).toEqual([]);
    }
  });

  it('a board with no token shows a code, is claimed with it, reconnects with its own credential and wakes through the relay; revoked, it claims again', async () => {
    const device = await startDevice({ engine, wolPort: wol.port, relayUrl: relay.ws });
    devices.push(device);
    const code = await codeShown(device, 0);
    // The account token never went onto the board: it has none to send.
    const claimed = await call('POST', '/api/claim', { code, name: 'hil board' });
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
    expect(claimed.body).toMatchObject({ status: 'claimed', device_id: device.deviceId, name: 'hil board', created: true });
    await device.waitForLine(/cloud: claimed; connecting with this board's own credential/);
    const online = device.lines.length;
    await device.waitForLine(WELCOME);
    const listed = await call('GET', '/api/credentials');
    expect(listed.body.devices).toEqual([expect.objectContaining({ device_id: device.deviceId, online: true, uses_account_token: false })]);

    const client = new V1Client(device.deviceId, device.token);
    const mac = '0C:1A:1B:00:00:01';
    expect(await httpCommand(relay.http, apiToken, client, 'wake', { mac })).toMatchObject({ status: 'success', result: 'wol_sent', mac });
    expect((await wol.next()).equals(expectedMagicPacket(mac))).toBe(true);
    const socket = await ClientSocket.open(relay.ws, apiToken, `cli_${device.deviceId}_${randomBytes(4).toString('hex')}`);
    expect((await socket.command(client, 'info')).reply).toMatchObject({ device_id: device.deviceId, cloud_status: 'connected' });
    socket.close();

    // Revocation: the board is told, forgets its credential and asks for a new code.
    const revoked = await call('DELETE', `/api/devices/${device.deviceId}/credential`);
    expect(revoked.body).toEqual({ status: 'revoked', device_id: device.deviceId, sockets_closed: 1 });
    await device.waitForLine(/revoked this board's credential; claiming again/, 5000, online);
    const second = await codeShown(device, online);
    expect(second).not.toBe(code);
    const reclaimed = await call('POST', '/api/claim', { code: second });
    expect(reclaimed.body).toMatchObject({ status: 'claimed', device_id: device.deviceId, created: false });
    const back = device.lines.length;
    await device.waitForLine(WELCOME, 15_000, back);
    expect(await httpCommand(relay.http, apiToken, client, 'ping')).toMatchObject({ status: 'success', result: 'pong' });
  }, 60_000);
});
