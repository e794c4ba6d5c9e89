/**
 * `wakelink claim` and `wakelink credentials` (issue 14): the real bin as a child process against
 * the real relay on 127.0.0.1, the board's claim socket and device socket as real WebSockets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsProbe } from '../relay/helpers/ws';
import { runBin } from './helpers/run-cli';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { tempDir } from './helpers/temp';

const DEVICE_ID = 'WL3C1A01';
const V1_DEVICE = 'WL3C1A02';

let relay: TestRelay;
let apiToken: string;
let home: string;
beforeAll(async () => {
  relay = await startTestRelay();
  apiToken = await createAccount(relay, 'claimer', 'correct horse battery staple');
  home = tempDir('wl-cli-claim-');
  expect((await runBin(['login', '--relay', relay.http, '--api-token', apiToken], home)).code).toBe(0);
});
afterAll(async () => relay.close());

async function claimingBoard(deviceId: string) {
  const probe = new WsProbe(`${relay.ws}/ws/claim/${deviceId}`);
  await probe.opened;
  return { probe, code: (await probe.next()).code as string };
}

describe('wakelink claim and credentials (issue 14)', () => {
  it('claims the board showing the code, saves it under --name; a wrong code is the relay\'s one error; a malformed one never leaves the CLI', async () => {
    const board = await claimingBoard(DEVICE_ID);
    const wrong = await runBin(['claim', board.code === '000000' ? '000001' : '000000'], home);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Invalid or expired claim code');
    const malformed = await runBin(['claim', '12ab'], home);
    expect(malformed.stderr).toContain('a claim code is 6 digits');
    expect(relay.requests.filter((r) => r.includes('12ab'))).toEqual([]);

    const claimed = await runBin(['claim', `${board.code.slice(0, 3)}-${board.code.slice(3)}`, '--name', 'desk'], home);
    expect(claimed.stderr).toBe('');
    expect(claimed.stdout).toBe(`claimed ${DEVICE_ID} on ${relay.http} and saved it as "desk"; the board now connects with its own credential\n`);
    const frame = await board.probe.next();
    expect(frame.type).toBe('credential');
    // The credential went to the board only: not to the CLI's output or its files.
    expect(claimed.stdout).not.toContain(frame.credential);
    const saved = JSON.parse(readFileSync(join(home, 'devices.json'), 'utf8'));
    expect(saved.desk).toMatchObject({ device_id: DEVICE_ID, cloud: true, http_url: relay.http });
    expect(JSON.stringify(saved)).not.toContain(frame.credential);

    const device = new WsProbe(`${relay.ws}/ws/${DEVICE_ID}`, { headers: { authorization: `Bearer ${frame.credential}` } });
    expect(await device.next()).toMatchObject({ type: 'welcome', device_id: DEVICE_ID });

    // A v1.0 board next to it, on the account token.
    expect((await runBin(['register', 'old', '--device-id', V1_DEVICE], home)).code).toBe(0);
    const listed = await runBin(['credentials', '--json'], home);
    const devices = JSON.parse(listed.stdout).devices;
    expect(devices.find((d: any) => d.device_id === DEVICE_ID)).toMatchObject({ online: true, uses_account_token: false });
    expect(devices.find((d: any) => d.device_id === V1_DEVICE)).toMatchObject({ uses_account_token: true, credential: null });
    const table = await runBin(['credentials'], home);
    expect(table.stdout).toMatch(new RegExp(`^${DEVICE_ID} +desk +yes +own credential dc_\\S+… +`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${V1_DEVICE} +old +no +uses an account token: re-claim to restrict`, 'm'));

    // Rotate by saved name: revoked, the board disconnected and told so; then a claim with its new code.
    const rotated = await runBin(['credentials', 'rotate', 'desk'], home);
    expect(rotated.stdout).toContain(`revoked the credential of ${DEVICE_ID} and disconnected the board`);
    expect(rotated.stdout).toContain('run `wakelink claim CODE`');
    expect(await device.next()).toMatchObject({ error: 'CREDENTIAL_REVOKED' });
    expect((await device.closed).code).toBe(1008);
    const again = await claimingBoard(DEVICE_ID);
    const reclaimed = await runBin(['claim', again.code], home);
    expect(reclaimed.stdout).toContain(`re-claimed ${DEVICE_ID}`);
    expect((await again.probe.next()).credential).not.toBe(frame.credential);

    const revoked = await runBin(['credentials', 'revoke', DEVICE_ID, '--json'], home);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ ok: true, device_id: DEVICE_ID, revoked: true, sockets_closed: 0 });
    const twice = await runBin(['credentials', 'revoke', DEVICE_ID], home);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('This device has no credential');
  }, 60_000);
});
