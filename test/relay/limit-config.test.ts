import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import { LIMIT_KNOBS } from '../../server/config-limits';
import { LIMITS } from '../../server/limits';
import { api, registerDevice, registerUser, uniqueName } from './helpers/http';
import { newDeviceToken, responsePacket } from './helpers/packets';
import { TEST_SECRET, startRelay, tempDir, type RunningRelay } from './helpers/relay';
import { WsProbe, connectClient, connectDevice } from './helpers/ws';

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
      tokenFailuresPerIp: LIMITS.tokenFailuresPerIp,
      passwordHashConcurrency: LIMITS.passwordHashConcurrency,
      passwordHashQueue: LIMITS.passwordHashQueue,
      deviceMessagesPerSecond: LIMITS.deviceMessagesPerSecond,
      deviceMessageBurst: LIMITS.deviceMessageBurst,
      deviceUnsolicitedBurst: LIMITS.deviceUnsolicitedBurst,
      deviceUnsolicitedDropsBeforeClose: LIMITS.deviceUnsolicitedDropsBeforeClose,
      wsSendBufferBytes: LIMITS.wsMaxBufferedBytes,
      wsClientFrameCeilingBytes: LIMITS.wsClientFrameCeilingBytes,
      endpointsPerAccount: LIMITS.endpointsPerAccount,
      messageTtlMs: LIMITS.messageTtlMs,
      messageQueueCap: LIMITS.messageQueueCap,
      messagesInFlight: LIMITS.messagesInFlight,
      messageContentBytes: LIMITS.messageContentBytes,
      eventContentBytes: LIMITS.eventContentBytes,
      eventsPerSecond: LIMITS.eventsPerSecond,
      eventBurst: LIMITS.eventBurst,
      subscriptionsPerSocket: LIMITS.subscriptionsPerSocket,
      historyMaxEntries: LIMITS.historyMaxEntries,
      historyMaxAgeMs: LIMITS.historyMaxAgeMs,
      dashboardStreamsPerAccount: LIMITS.dashboardStreamsPerAccount,
      refreshTokenTtlMs: LIMITS.refreshTokenTtlMs,
      sessionMaxAgeMs: LIMITS.sessionMaxAgeMs,
      sessionsPerAccount: LIMITS.sessionsPerAccount,
      tokenExpirySweepMs: LIMITS.tokenExpirySweepMs,
      pairingCodeTtlMs: LIMITS.pairingCodeTtlMs,
      pairingCodesPerAccount: LIMITS.pairingCodesPerAccount,
      pairingFailuresPerAccount: LIMITS.pairingFailuresPerAccount,
      pairingFailuresPerAddress: LIMITS.pairingFailuresPerAddress,
      pairingFailuresGlobal: LIMITS.pairingFailuresGlobal,
      pairingFailuresPerCode: LIMITS.pairingFailuresPerCode,
      claimCodeTtlMs: LIMITS.claimCodeTtlMs,
      claimSocketTimeoutMs: LIMITS.claimSocketTimeoutMs,
      claimSocketsPerIp: LIMITS.claimSocketsPerIp,
      claimSocketsTotal: LIMITS.claimSocketsTotal,
      claimAttemptsPerAccount: LIMITS.claimAttemptsPerAccount,
      claimAttemptsPerIp: LIMITS.claimAttemptsPerIp,
      claimAttemptsPerMinute: LIMITS.claimAttemptsPerMinute,
      claimCodeMaxFailures: LIMITS.claimCodeMaxFailures,
      parkedReplies: LIMITS.parkedReplies,
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

  it('HTTP_BODY_BYTES, WS_MAX_FRAME_BYTES and WS_CLIENT_FRAME_CEILING_BYTES bound bodies (413) and frames (device 1009; client frame_too_large, then 1009 above the ceiling)', async () => {
    relay = await startRelay({ env: { HTTP_BODY_BYTES: '4096', WS_MAX_FRAME_BYTES: '4096', WS_CLIENT_FRAME_CEILING_BYTES: '8192' } });
    const user = await registerUser(relay.http);
    const big = await api(relay.http, 'POST', '/api/push', { token: user.token, rawBody: JSON.stringify({ device_id: 'WL1', payload: 'a'.repeat(5000), signature: 'b' }) });
    expect(big.status).toBe(413);
    await registerDevice(relay.http, user.token, 'WL4096');
    const { probe: device } = await connectDevice(relay.ws, 'WL4096', user.token);
    device.send('x'.repeat(5000));
    expect((await device.closed).code).toBe(1009);
    const { probe } = await connectClient(relay.ws, 'c-frame', user.token);
    probe.send('x'.repeat(5000));
    expect(await probe.next()).toMatchObject({ type: 'error', error: 'frame_too_large' });
    probe.send({ type: 'ping', id: 'still-open' });
    expect(await probe.next()).toMatchObject({ type: 'pong', id: 'still-open' });
    probe.send('x'.repeat(8193));
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

  it('TOKEN_FAILURES_PER_IP sets the failed-token budget of an address (issue 12 item 4)', async () => {
    relay = await startRelay({ env: { TOKEN_FAILURES_PER_IP: '2' }, throttle: {} });
    const wrong = () => api(relay!.http, 'GET', '/api/devices', { token: 'sk-' + 'Z'.repeat(43) });
    expect([(await wrong()).status, (await wrong()).status, (await wrong()).status]).toEqual([401, 401, 429]);
  });

  it('PASSWORD_HASH_CONCURRENCY and PASSWORD_HASH_QUEUE bound the password hashes in progress (issue 12 item 2)', async () => {
    relay = await startRelay({ env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '0', TRUST_PROXY: '127.0.0.1' }, throttle: {} });
    const user = await registerUser(relay.http);
    const attempts = await Promise.all(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((from) =>
      api(relay!.http, 'POST', '/auth/login', { body: { username: user.username, password: user.password }, headers: { 'X-Forwarded-For': from } })));
    expect(attempts.filter((r) => r.status === 429 && r.body.error === 'LOGIN_BUSY').length).toBeGreaterThanOrEqual(1);
    expect(attempts.some((r) => r.status === 200)).toBe(true);
    expect(relay.app.auth.passwordHashPeak()).toBe(1);
  });

  it('DEVICE_UNSOLICITED_BURST / _DROPS and DEVICE_MESSAGES_PER_SECOND / DEVICE_MESSAGE_BURST bound device sockets (issue 12 item 1)', async () => {
    relay = await startRelay({ env: { DEVICE_UNSOLICITED_BURST: '1', DEVICE_UNSOLICITED_DROPS: '2' } });
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WLC0F1');
    const { probe } = await connectDevice(relay.ws, 'WLC0F1', user.token);
    for (let i = 0; i < 4; i++) probe.send(responsePacket(newDeviceToken(), 'WLC0F1', { status: 'success', request_id: `u${i}` }));
    expect((await probe.closed).code).toBe(1008);
    expect(relay.app.store.countResponses(user.id)).toBe(1);
    await relay.close();

    relay = await startRelay({ env: { DEVICE_MESSAGES_PER_SECOND: '1', DEVICE_MESSAGE_BURST: '3', DEVICE_UNSOLICITED_BURST: '100' } });
    const other = await registerUser(relay.http);
    await registerDevice(relay.http, other.token, 'WLC0F2');
    const second = await connectDevice(relay.ws, 'WLC0F2', other.token);
    for (let i = 0; i < 5; i++) second.probe.send(responsePacket(newDeviceToken(), 'WLC0F2', { status: 'success', request_id: `r${i}` }));
    expect((await second.probe.closed).code).toBe(1008);
    expect(relay.app.store.countResponses(other.id)).toBe(3);
  });
});
