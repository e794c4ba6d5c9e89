/**
 * Abuse figures for issue 12 items 1–4, against a relay with its shipped limits (a separate
 * process, `server/main.ts` under tsx; `ABUSE_RELAY_MAIN` points at another copy, e.g. an older
 * commit, for a before/after comparison). Client addresses are told apart with X-Forwarded-For
 * (TRUST_PROXY=127.0.0.1). Only 127.0.0.1. Run: `npx tsx bench/relay/abuse.ts`; prints one JSON line.
 *
 * 1. One device floods its socket with 20,000 unsolicited reply frames: another account's WS round
 *    trips (client → relay → device → relay → client) before and during the flood.
 * 2. A login flood from one address (24 in flight, fresh usernames): a correct login from another
 *    address during it.
 * 3. Password spraying from one address: one guess at each of 120 accounts.
 * 4. 400 random API tokens from one address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { nodeCrypto } from '../../node/crypto';
import { deriveKey, openPacket, sealPacket } from '../../shared/index';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = process.env.ABUSE_RELAY_MAIN ?? path.join(ROOT, 'server/main.ts');
const DEVICE_TOKEN = 'abuse-bench-device-token-0123456789abcdef0123456789';
const KEY = deriveKey(DEVICE_TOKEN, nodeCrypto);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN).toFixed(1));
};

async function startRelay(dir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CLOUD_PORT: '0', DATABASE_FILE: path.join(dir, 'relay.db'), SECRET_KEY: 'abuse-bench-secret-0123456789abcdef0123456789', LOG_LEVEL: 'warn', TRUST_PROXY: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 400; i++) {
    const match = /listening on (http:\/\/[^\s]+)/.exec(out);
    if (match) return { child, base: match[1]! };
    await sleep(50);
  }
  throw new Error('relay did not start');
}

async function post(base: string, route: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const response = await fetch(base + route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
}

let registered = 0;
async function account(base: string): Promise<{ username: string; password: string; token: string }> {
  const username = `abuse_${process.pid}_${registered}`;
  const password = 'correct horse battery';
  // A fresh forwarded address per registration keeps the per-address registration budget out of the way.
  const res = await post(base, '/auth/register', { username, password }, { 'x-forwarded-for': `10.${Math.floor(registered / 250)}.${registered++ % 250}.1` });
  if (res.status !== 201) throw new Error(`register: ${res.status}`);
  return { username, password, token: res.body.api_token };
}

function command(deviceId: string, requestId: string): string {
  return JSON.stringify(sealPacket({ key: KEY, deviceId, inner: { command: 'ping', data: {}, request_id: requestId, timestamp: Math.floor(Date.now() / 1000) }, nonce: nodeCrypto.randomBytes(16), crypto: nodeCrypto }));
}
function reply(deviceId: string, requestId: string): string {
  return JSON.stringify(sealPacket({ key: KEY, deviceId, inner: { status: 'success', result: 'pong', request_id: requestId }, nonce: nodeCrypto.randomBytes(16), requestCounter: 1, crypto: nodeCrypto }));
}

function socket(url: string, token: string, onFrame: (text: string, ws: WebSocket) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
    ws.once('message', () => {
      ws.on('message', (data) => onFrame(data.toString(), ws));
      resolve(ws);
    });
    ws.on('error', reject);
  });
}

async function deviceFlood(base: string) {
  const ws = base.replace('http://', 'ws://');
  const flooder = await account(base);
  const bystander = await account(base);
  await post(base, '/api/register_device', { device_id: 'WLAB1' }, { authorization: `Bearer ${flooder.token}` });
  await post(base, '/api/register_device', { device_id: 'WLAB2' }, { authorization: `Bearer ${bystander.token}` });
  const calm = await socket(`${ws}/ws/WLAB2`, bystander.token, (text, sock) => {
    const inner = openPacket({ key: KEY, packet: text, crypto: nodeCrypto });
    sock.send(reply('WLAB2', String(inner.request_id)));
  });
  let pending: ((id: string) => void) | undefined;
  const client = await socket(`${ws}/ws/client/abuse-calm`, bystander.token, (text) => {
    const frame = JSON.parse(text) as { payload?: string };
    if (typeof frame.payload === 'string') pending?.(String(openPacket({ key: KEY, packet: text, crypto: nodeCrypto }).request_id));
  });
  const roundTrips = async (ms: number): Promise<number[]> => {
    const out: number[] = [];
    const until = Date.now() + ms;
    for (let n = 0; Date.now() < until; n++) {
      const id = `rt${Date.now()}${n}`;
      const started = performance.now();
      await new Promise<void>((resolve) => {
        pending = (got) => got === id && resolve();
        client.send(command('WLAB2', id));
      });
      out.push(performance.now() - started);
      await sleep(60); // under the client socket's own message limit (20/s)
    }
    return out;
  };
  const before = await roundTrips(2000);
  const frame = reply('WLAB1', 'nobody-asked');
  let closeCode: number | null = null;
  const flood = await socket(`${ws}/ws/WLAB1`, flooder.token, () => undefined);
  flood.on('close', (code) => (closeCode = code));
  const floodStart = performance.now();
  let sent = 0;
  for (; sent < 20_000 && flood.readyState === WebSocket.OPEN; sent++) flood.send(frame);
  const during = await roundTrips(3000);
  flood.terminate();
  client.close();
  calm.close();
  return {
    framesSent: sent, closeCode, msUntilClosedOrMeasured: Math.round(performance.now() - floodStart),
    otherAccountBefore: { n: before.length, p50: pct(before, 50), p99: pct(before, 99) },
    otherAccountDuringFlood: { n: during.length, p50: pct(during, 50), p99: pct(during, 99), max: pct(during, 100) },
  };
}

async function loginFlood(base: string) {
  const owner = await account(base);
  let stop = false;
  const statuses: Record<string, number> = {};
  let n = 0;
  const worker = async () => {
    while (!stop) {
      const res = await post(base, '/auth/login', { username: `fresh_${n++}`, password: 'wrong password!' }, { 'x-forwarded-for': '203.0.113.66' });
      const key = `${res.status}${res.body?.error ? ` ${res.body.error}` : ''}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const workers = Array.from({ length: 24 }, worker);
  await sleep(500);
  const logins: number[] = [];
  for (let i = 0; i < 8; i++) {
    const res = await post(base, '/auth/login', { username: owner.username, password: owner.password }, { 'x-forwarded-for': '198.51.100.20' });
    logins.push(res.status === 200 ? res.ms : Number.NaN);
    await sleep(200);
  }
  stop = true;
  await Promise.all(workers);
  return { correctLoginMs: logins.map((ms) => Number(ms.toFixed(0))), correctLoginMaxMs: pct(logins, 100), floodAnswers: statuses };
}

async function spraying(base: string) {
  const accounts = [];
  for (let i = 0; i < 121; i++) accounts.push(await account(base));
  const untouched = accounts.pop()!;
  const statuses: Record<number, number> = {};
  const ms: Record<number, number[]> = {};
  const started = performance.now();
  for (const a of accounts) {
    const res = await post(base, '/auth/login', { username: a.username, password: 'wrong password!' }, { 'x-forwarded-for': '203.0.113.99' });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    (ms[res.status] ??= []).push(res.ms);
  }
  const sprayMs = performance.now() - started;
  const ownerFromElsewhere = await post(base, '/auth/login', { username: accounts[0]!.username, password: accounts[0]!.password }, { 'x-forwarded-for': '198.51.100.30' });
  // An account the sprayer never tried, with the right password: still evaluated (200) or refused (429)?
  const rightFromSprayer = await post(base, '/auth/login', { username: untouched.username, password: untouched.password }, { 'x-forwarded-for': '203.0.113.99' });
  return {
    guesses: accounts.length, answers: statuses, medianMsByStatus: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, pct(v, 50)])),
    ms: Math.round(sprayMs), ownerFromOtherAddress: ownerFromElsewhere.status, rightPasswordOfUntriedAccountFromSprayer: rightFromSprayer.status,
  };
}

async function tokenGuessing(base: string) {
  const statuses: Record<number, number> = {};
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < 400) {
      const response = await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer sk-${randomBytes(32).toString('base64url')}`, 'x-forwarded-for': '203.0.113.120' } });
      await response.text();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }));
  return { guesses: 400, answers: statuses, perSecond: Math.round(400 / ((performance.now() - started) / 1000)) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'wl-abuse-'));
const relay = await startRelay(dir);
try {
  const results = {
    relay: MAIN,
    item1DeviceFlood: await deviceFlood(relay.base),
    item2LoginFlood: await loginFlood(relay.base),
    item3Spraying: await spraying(relay.base),
    item4TokenGuessing: await tokenGuessing(relay.base),
  };
  process.stdout.write(JSON.stringify(results) + '\n');
} finally {
  relay.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
