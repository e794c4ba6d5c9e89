/**
 * `wakelink endpoints`, `watch` and `history` (issue 13): the real bin as a child process against
 * the real relay on 127.0.0.1, a board on a real WebSocket publishing a sealed event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { nodeCrypto } from '../../node/crypto';
import { deriveKey, sealPacket } from '../../shared/index';
import { runBin, startBinUntil } from './helpers/run-cli';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { tempDir } from './helpers/temp';

const TOKEN = 'WatchDeviceToken-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH';
const DEVICE_ID = 'WL3A7C01';

let relay: TestRelay;
let apiToken: string;
let home: string;
beforeAll(async () => {
  relay = await startTestRelay();
  apiToken = await createAccount(relay, 'carol', 'correct horse battery staple');
  home = tempDir('wl-cli-routing-');
  expect((await runBin(['login', '--relay', relay.http, '--api-token', apiToken], home)).code).toBe(0);
  expect((await runBin(['register', 'study', '--device-id', DEVICE_ID, '--token', TOKEN], home)).code).toBe(0);
});
afterAll(async () => relay.close());

/** A board socket authenticated with the account token, as the firmware connects. */
async function board(): Promise<WebSocket> {
  const socket = new WebSocket(`${relay.ws}/ws/${DEVICE_ID}`, { headers: { 'X-API-Token': apiToken } });
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

const startBin = (args: string[], ready: RegExp) => startBinUntil(args, home, ready);

describe('wakelink endpoints, watch and history (issue 13)', () => {
  it('endpoints: lists the board with presence; adds, renames and removes an app; names from the relay are printed without control characters', async () => {
    const added = await runBin(['endpoints', 'add', 'phone\u001b[31m', '--kind', 'app', '--uuid', '0f0e0d0c-0b0a-4908-8706-050403020100', '--json'], home);
    expect(added.code, added.stderr).toBe(0);
    const endpoint = JSON.parse(added.stdout).endpoint;
    expect(endpoint).toMatchObject({ kind: 'app', uuid: '0f0e0d0c-0b0a-4908-8706-050403020100', online: false });
    const socket = await board();
    const listed = await runBin(['endpoints'], home);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`ep_[0-9a-f]{20}\\s+board\\s+study\\s+${DEVICE_ID}\\s+yes`));
    expect(listed.stdout).toContain('phone?[31m');
    expect(listed.stdout).not.toContain('\u001b');
    expect(listed.stdout).toMatch(/endpoints on http:\/\/127\.0\.0\.1:\d+, 1 online/);
    socket.close();
    const renamed = await runBin(['endpoints', 'rename', endpoint.uuid, 'pixel'], home);
    expect(renamed.stdout).toContain(`renamed ${endpoint.id} (app) "pixel"`);
    expect((await runBin(['endpoints', 'remove', endpoint.id], home)).stdout).toContain(`removed ${endpoint.id}`);
    const gone = await runBin(['endpoints', 'remove', endpoint.id], home);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No endpoint ${endpoint.id} in your account`);
    const badKind = await runBin(['endpoints', 'add', 'x', '--kind', 'board'], home);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('--kind takes app, cli, host, client, browser (boards: `wakelink register`)');
  });

  it('watch: prints the board coming online, its sealed event opened with the saved token, and going offline; --count ends it with 0', async () => {
    const run = startBin(['watch', '--count', '3'], /watching 1 endpoint/);
    await run.started;
    const socket = await board();
    const sealed = sealPacket({
      key: deriveKey(TOKEN, nodeCrypto), deviceId: DEVICE_ID, inner: { target: 'desk', state: 'up', after_ms: 3100 }, nonce: nodeCrypto.randomBytes(16), requestCounter: 9, crypto: nodeCrypto,
    });
    socket.send(JSON.stringify({ type: 'event', event: 'wake.confirmed', content: sealed }));
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    const { code, stdout, stderr } = await run.exited;
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[1]).toBe(`  ${DEVICE_ID} "study"  offline`);
    expect(lines[2]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${DEVICE_ID} "study"  online$`));
    expect(lines[3]).toMatch(/ {2}event wake\.confirmed {2}\{"target":"desk","state":"up","after_ms":3100\} \(opened\)$/);
    expect(lines[4]).toMatch(/ {2}offline$/);
    expect(lines[5]).toBe('watched 3 changes');
  });

  it('watch --json prints the relay\'s frames; a foreign or unknown --endpoint is refused with the relay\'s reason (exit 1)', async () => {
    const run = startBin(['watch', '--endpoint', DEVICE_ID, '--count', '1', '--json'], /"type":"subscribed"/);
    await run.started;
    const socket = await board();
    const { code, stdout } = await run.exited;
    expect(code).toBe(0);
    const frames = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(frames[0]).toMatchObject({ type: 'subscribed', endpoints: [{ device_id: DEVICE_ID, online: false }] });
    expect(frames[1]).toMatchObject({ type: 'presence', device_id: DEVICE_ID, online: true });
    expect(frames[2]).toEqual({ ok: true, relay: relay.http, lines: 1 });
    socket.close();
    const refused = await runBin(['watch', '--endpoint', 'WLBAD0', '--timeout', '5'], home);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the watch: endpoint_not_found (No endpoint WLBAD0 in your account; nothing was changed)');
  });

  it('history: the commands sent to the board (the audit log) and the events, newest first, paged with --before', async () => {
    const socket = await board();
    socket.on('message', () => undefined);
    await runBin(['wake', 'study', 'AA:BB:CC:DD:EE:01', '--via', 'wss', '--timeout', '1'], home);
    // The board has two entries so far (the wake and the event of the watch test): a page of one has more.
    const first = await runBin(['history', '--limit', '1', '--endpoint', DEVICE_ID], home);
    expect(first.stdout).toMatch(/more: wakelink history --before \d+ --endpoint WL3A7C01\n$/);
    const page = await runBin(['history', '--limit', '2', '--endpoint', DEVICE_ID], home);
    expect(page.code, page.stderr).toBe(0);
    const lines = page.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+KIND\s+FROM\s+TO\s+STATUS\s+DETAIL$/);
    expect(lines[1]).toMatch(new RegExp(`command\\s+ec_[0-9a-f]{20}\\s+ep_[0-9a-f]{20}\\s+delivered\\s+${DEVICE_ID} ws 127\\.0\\.0\\.1 cli_${DEVICE_ID}_[0-9a-f]{8}$`));
    expect(lines[2]).toMatch(/event\s+ep_[0-9a-f]{20}\s+-\s+fanned_out\s+WL3A7C01 event wake\.confirmed ws 127\.0\.0\.1$/);
    expect(lines).toHaveLength(3);
    const more = /more: wakelink history --before (\d+)/.exec(first.stdout);
    const next = await runBin(['history', '--limit', '50', '--before', more![1]!, '--json'], home);
    const older = JSON.parse(next.stdout).entries as { id: number; kind: string }[];
    expect(older.length).toBeGreaterThan(0);
    expect(older.every((e) => e.id < Number(more![1]))).toBe(true);
    expect((await runBin(['history', '--limit', '0'], home)).code).toBe(2);
    socket.close();
  });
});
