import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import { LIMIT_KNOBS } from '../../server/config-limits';
import { LIMITS } from '../../server/limits';
import { api, registerUser, uniqueName } from './helpers/http';
import { TEST_SECRET, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { WsProbe, connectClient } from './helpers/ws';

let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const base = () => ({ DATABASE_FILE: join(tempDir('wl-limits-'), 'relay.db'), SECRET_KEY: TEST_SECRET });

describe('deployment-tunable limits (environment variables, C3)', () => {
  it('defaults are the shipped LIMITS', () => {
    expect(loadConfig(base()).limits).toEqual({
      httpBodyBytes: LIMITS.httpBodyBytes,
      wsMaxFrameBytes: LIMITS.wsMaxPayloadBytes,
      wsMessagesPerSecond: LIMITS.wsMessagesPerSecond,
      wsMessageBurst: LIMITS.wsMessageBurst,
      wsConnectionsPerIp: LIMITS.wsConnectionsPerIp,
      wsExtraConnectionsPerUser: LIMITS.wsExtraConnectionsPerUser,
      loginWindowMs: LIMITS.loginWindowMs,
      loginFailuresPerAccount: LIMITS.loginFailuresPerAccount,
      loginFailuresPerIp: LIMITS.loginFailuresPerIp,
      registrationsPerIp: LIMITS.registrationsPerIp,
    });
  });

  it('every variable is read, in its unit; a bad or out-of-range value is a ConfigError naming it', () => {
    const env: Record<string, string> = base();
    for (const [i, knob] of LIMIT_KNOBS.entries()) env[knob.env] = String(knob.min + i + 1);
    const limits = loadConfig(env).limits;
    for (const [i, knob] of LIMIT_KNOBS.entries()) expect(limits[knob.key], knob.env).toBe((knob.min + i + 1) * (knob.scale ?? 1));
    for (const knob of LIMIT_KNOBS) {
      expect(() => loadConfig({ ...base(), [knob.env]: 'lots' }), knob.env).toThrow(new RegExp(`${knob.env} must be a whole number`));
      expect(() => loadConfig({ ...base(), [knob.env]: String(knob.max + 1) }), knob.env).toThrow(ConfigError);
      if (knob.min > 0) expect(() => loadConfig({ ...base(), [knob.env]: String(knob.min - 1) }), knob.env).toThrow(ConfigError);
    }
  });

  it('the README configuration table lists every variable with its default', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    for (const knob of LIMIT_KNOBS) expect(readme, knob.env).toContain(`| \`${knob.env}\` | \`${knob.fallback}\` |`);
  });

  it('HTTP_BODY_BYTES and WS_MAX_FRAME_BYTES bound bodies (413) and frames (close 1009)', async () => {
    relay = await startRelay({ env: { HTTP_BODY_BYTES: '4096', WS_MAX_FRAME_BYTES: '4096' } });
    const user = await registerUser(relay.http);
    const big = await api(relay.http, 'POST', '/api/push', { token: user.token, rawBody: JSON.stringify({ device_id: 'WL1', payload: 'a'.repeat(5000), signature: 'b' }) });
    expect(big.status).toBe(413);
    const { probe } = await connectClient(relay.ws, 'c-frame', user.token);
    probe.send('x'.repeat(5000));
    expect((await probe.closed).code).toBe(1009);
  });

  it('WS_MESSAGES_PER_SECOND and WS_MESSAGE_BURST set the client socket budget', async () => {
    relay = await startRelay({ env: { WS_MESSAGES_PER_SECOND: '1', WS_MESSAGE_BURST: '3' } });
    const user = await registerUser(relay.http);
    const { probe } = await connectClient(relay.ws, 'c-rate', user.token);
    // The auth frame took one token; two more frames fit in the burst, the next is refused.
    for (let i = 0; i < 2; i++) probe.send({ not: 'a packet' });
    const answers = [await probe.next(), await probe.next()];
    expect(answers.every((frame) => frame.error !== 'RATE_LIMITED')).toBe(true);
    probe.send({ not: 'a packet' });
    expect(await probe.next()).toMatchObject({ status: 'error', error: 'RATE_LIMITED' });
    probe.close();
  });

  it('WS_CONNECTIONS_PER_IP caps sockets per address (429 at the upgrade)', async () => {
    relay = await startRelay({ env: { WS_CONNECTIONS_PER_IP: '2' } });
    const user = await registerUser(relay.http);
    const a = await connectClient(relay.ws, 'c-a', user.token);
    const b = await connectClient(relay.ws, 'c-b', user.token);
    const third = new WsProbe(`${relay.ws}/ws/client/c-c`);
    await third.opened.catch(() => undefined);
    expect(third.unexpectedResponse).toBe(429);
    a.probe.close();
    b.probe.close();
  });

  it('WS_EXTRA_CONNECTIONS_PER_USER: an account may hold 2 × its device limit + this many sockets', async () => {
    relay = await startRelay({ env: { WS_EXTRA_CONNECTIONS_PER_USER: '1', DEVICE_LIMIT: '1' } });
    const user = await registerUser(relay.http);
    const open = await Promise.all(['u1', 'u2', 'u3'].map((id) => connectClient(relay!.ws, id, user.token)));
    expect(open.map((c) => c.welcome.type)).toEqual(['welcome', 'welcome', 'welcome']);
    const { probe, welcome } = await connectClient(relay.ws, 'u4', user.token);
    expect(welcome).toMatchObject({ status: 'error', error: 'TOO_MANY_CONNECTIONS' });
    expect((await probe.closed).code).toBe(1008);
    for (const c of open) c.probe.close();
  });

  it('REGISTRATIONS_PER_IP, LOGIN_FAILURES_PER_IP / _PER_ACCOUNT and LOGIN_WINDOW_SECONDS set the throttles', async () => {
    relay = await startRelay({
      env: { REGISTRATIONS_PER_IP: '2', LOGIN_FAILURES_PER_ACCOUNT: '2', LOGIN_FAILURES_PER_IP: '50', LOGIN_WINDOW_SECONDS: '60' },
      throttle: {}, // the environment, not the test default, decides
    });
    const user = await registerUser(relay.http);
    await registerUser(relay.http);
    const third = await api(relay.http, 'POST', '/auth/register', { body: { username: uniqueName(), password: 'correct horse battery' } });
    expect(third.status).toBe(429);
    const login = (password: string) => api(relay!.http, 'POST', '/auth/login', { body: { username: user.username, password } });
    expect((await login('wrong password!')).status).toBe(401);
    expect((await login('wrong password!')).status).toBe(401);
    expect((await login(user.password)).status).toBe(429);
  });
});
