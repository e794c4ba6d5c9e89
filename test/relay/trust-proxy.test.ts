import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import { api, registerUser } from './helpers/http';
import { TEST_SECRET, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { WsProbe } from './helpers/ws';

let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const base = () => ({ DATABASE_FILE: `${tempDir('wl-trust-')}/relay.db`, SECRET_KEY: TEST_SECRET });
const login = (http: string, username: string, password: string, from?: string) =>
  api(http, 'POST', '/auth/login', { body: { username, password }, headers: from ? { 'X-Forwarded-For': from } : {} });

describe('TRUST_PROXY setting', () => {
  it('unset is off; a hop count or a list of proxy addresses is accepted; anything else is a clear ConfigError', () => {
    expect(loadConfig(base()).trustProxy).toBe(false);
    expect(loadConfig({ ...base(), TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...base(), TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    for (const bad of ['yes', '0', '127.0.0.1,nginx', '10.0.0.0/33', '-1']) {
      expect(() => loadConfig({ ...base(), TRUST_PROXY: bad })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ...base(), TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY must be a hop count like 1 or a comma-separated list/);
  });
});

describe('behind a trusted proxy, the client address is X-Forwarded-For (B22, C3)', () => {
  it('login throttle per IP applies to the real client, not to the proxy everyone shares', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: '127.0.0.1' }, throttle: { registrationsPerIp: 1000, loginFailuresPerIp: 3, loginFailuresPerAccount: 100 } });
    const victim = await registerUser(relay.http);
    const other = await registerUser(relay.http);
    for (let i = 0; i < 3; i++) expect((await login(relay.http, other.username, 'wrong password!', '203.0.113.7')).status).toBe(401);
    // The attacker's address is over budget…
    expect((await login(relay.http, other.username, 'wrong password!', '203.0.113.7')).status).toBe(429);
    // …a wrong password from another client behind the same proxy is not.
    expect((await login(relay.http, victim.username, 'wrong password!', '198.51.100.9')).status).toBe(401);
    expect((await login(relay.http, victim.username, victim.password, '198.51.100.9')).status).toBe(200);
  });

  it('without TRUST_PROXY the header is ignored, so it cannot be used to dodge the per-IP limit', async () => {
    relay = await startRelay({ throttle: { registrationsPerIp: 1000, loginFailuresPerIp: 3, loginFailuresPerAccount: 100 } });
    const user = await registerUser(relay.http);
    for (let i = 0; i < 3; i++) await login(relay.http, user.username, 'wrong password!', `203.0.113.${i}`);
    expect((await login(relay.http, user.username, 'wrong password!', '203.0.113.50')).status).toBe(429);
  });

  it('WebSocket sockets per IP count the forwarded client, only when the proxy is trusted', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: '1' }, ws: { maxConnectionsPerIp: 1 } });
    const open = async (from: string) => {
      const probe = new WsProbe(`${relay!.ws}/ws/client/xff-${from.replace(/\./g, '')}-${Math.random().toString(36).slice(2, 8)}`, { headers: { 'X-Forwarded-For': from } });
      await probe.opened.catch(() => undefined);
      return probe;
    };
    const a = await open('203.0.113.1');
    const b = await open('203.0.113.2');
    const a2 = await open('203.0.113.1');
    expect(a.unexpectedResponse).toBeNull();
    expect(b.unexpectedResponse).toBeNull();
    expect(a2.unexpectedResponse).toBe(429);
    a.close();
    b.close();
  });
});

describe('an address over its failure budget is refused for every account (B22, issue 12 item 3)', () => {
  it('its guesses are not evaluated, even the right password of an account it never tried; the owner logs in from another address', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: '127.0.0.1' }, throttle: { registrationsPerIp: 1000, loginFailuresPerIp: 3, loginFailuresPerAccount: 100 } });
    const attacked = await registerUser(relay.http);
    const bystander = await registerUser(relay.http);
    for (let i = 0; i < 3; i++) expect((await login(relay.http, attacked.username, 'wrong password!', '203.0.113.8')).status).toBe(401);
    // Guessing from that address stays throttled, for the attacked account and any other.
    expect((await login(relay.http, attacked.username, attacked.password, '203.0.113.8')).status).toBe(429);
    expect((await login(relay.http, bystander.username, 'wrong password!', '203.0.113.8')).status).toBe(429);
    expect((await login(relay.http, bystander.username, bystander.password, '203.0.113.8')).status).toBe(429);
    // Neither account was locked: both owners get in from their own addresses.
    expect((await login(relay.http, bystander.username, bystander.password, '198.51.100.3')).status).toBe(200);
    expect((await login(relay.http, attacked.username, attacked.password, '198.51.100.4')).status).toBe(200);
  });
});
