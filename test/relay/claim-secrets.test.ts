/**
 * Claim codes and device credentials stay secret (issue 14): the SQLite file (and its WAL) holds
 * only the credential's SHA-256, never the credential or a code; no log line at debug level
 * carries either, through a claim, a wrong claim, the board's connection and a revocation. The
 * code registry itself: 6 CSPRNG digits, unique among live codes, single use, expiring, and
 * burned only when it lived through CLAIM_CODE_MAX_FAILURES wrong claims.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ClaimCodes, type ClaimHolder } from '../../server/claim/codes';
import { loggerOptions } from '../../server/logger';
import { api, registerUser } from './helpers/http';
import { ManualClock, startRelay } from './helpers/relay';
import { WsProbe } from './helpers/ws';

describe('no claim code or device credential at rest or in the logs', () => {
  it('the database keeps only the SHA-256; logs at debug level never show a code or a credential', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString('utf8')); done(); } });
    const relay = await startRelay({ logger: { ...(loggerOptions('debug') as object), stream: sink } });
    try {
      const user = await registerUser(relay.http);
      const board = new WsProbe(`${relay.ws}/ws/claim/WL3E5A01`);
      const { code } = await board.next();
      const wrong = code === '999999' ? '999998' : '999999';
      expect((await api(relay.http, 'POST', '/api/claim', { token: user.token, body: { code: wrong } })).status).toBe(400);
      expect((await api(relay.http, 'POST', '/api/claim', { token: user.token, body: { code } })).status).toBe(200);
      const { credential } = await board.next();
      const device = new WsProbe(`${relay.ws}/ws/WL3E5A01`, { headers: { authorization: `Bearer ${credential}` } });
      expect((await device.next()).type).toBe('welcome');
      const stranger = new WsProbe(`${relay.ws}/ws/client/cli_x`, { headers: { authorization: `Bearer ${credential}` } });
      expect((await stranger.next()).error).toBe('INVALID_TOKEN');
      const db = new Database(relay.dbFile, { readonly: true });
      const rows = db.prepare('SELECT device_id, credential_hash, prefix FROM device_credentials').all();
      db.close();
      expect(rows).toEqual([{ device_id: 'WL3E5A01', credential_hash: createHash('sha256').update(credential).digest('hex'), prefix: credential.slice(0, 11) }]);
      await api(relay.http, 'DELETE', '/api/devices/WL3E5A01/credential', { token: user.token });
      await device.closed;
      // What was stored while it existed: the WAL and the database file hold the hash at most.
      const files = readdirSync(relay.dir).filter((f) => f.startsWith('relay.db')).map((f) => readFileSync(`${relay.dir}/${f}`));
      expect(files.length).toBeGreaterThan(0);
      for (const bytes of files) {
        expect(bytes.includes(credential)).toBe(false);
        expect(bytes.includes(credential.slice(3))).toBe(false);
      }
      const log = lines.join('');
      expect(log).toContain('board claimed');
      expect(log).toContain('device credential revoked');
      expect(log).not.toContain(credential);
      expect(log).not.toContain(credential.slice(3, 20));
      expect(log).not.toMatch(new RegExp(`\\b${code}\\b`));
      expect(log).not.toMatch(new RegExp(`\\b${wrong}\\b`));
    } finally {
      await relay.close();
    }
  });
});

class Holder implements ClaimHolder {
  changes: string[] = [];
  constructor(readonly deviceId: string) {}
  codeChanged(code: string): void {
    this.changes.push(code);
  }
}

describe('the code registry (codes.ts)', () => {
  it('issues 6 digits unique among 2,000 live codes; finds only the live, unexpired, well-formed one; take() makes it single use', () => {
    const clock = new ManualClock();
    const codes = new ClaimCodes({ ttlMs: 600_000, maxFailures: 1_000_000 }, clock);
    const holders = Array.from({ length: 2000 }, (_, i) => new Holder(`WL${(0x100000 + i).toString(16).toUpperCase()}`));
    const issued = holders.map((h) => codes.issue(h).code);
    for (const code of issued) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(issued).size).toBe(2000);
    expect(codes.find(issued[7]!)).toBe(holders[7]);
    expect(codes.find(`${issued[7]!}0`)).toBeUndefined();
    expect(codes.find(issued[7]!.slice(0, 5))).toBeUndefined();
    codes.take(holders[7]!);
    expect(codes.find(issued[7]!)).toBeUndefined();
    clock.advance(600_000);
    expect(codes.find(issued[8]!)).toBeUndefined();
  });

  it('a wrong claim counts against every live code; a code is burned after maxFailures of them, codes issued later are not', () => {
    const clock = new ManualClock();
    const codes = new ClaimCodes({ ttlMs: 600_000, maxFailures: 3 }, clock);
    const early = new Holder('WL100001');
    const late = new Holder('WL100002');
    const first = codes.issue(early).code;
    codes.recordFailure();
    codes.recordFailure();
    const lateCode = codes.issue(late).code;
    codes.recordFailure();
    expect(early.changes).toHaveLength(1);
    expect(late.changes).toEqual([]);
    expect(codes.find(first)).toBeUndefined();
    expect(codes.find(early.changes[0]!)).toBe(early);
    expect(codes.find(lateCode)).toBe(late);
    expect(codes.burned).toBe(1);
  });
});
