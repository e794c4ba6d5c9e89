import { afterEach, describe, expect, it } from 'vitest';
import { registerDevice, registerUser } from './helpers/http';
import { startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe } from './helpers/ws';
import { RawUpgrade, v1CliClientPath, v1UpgradeRequest } from './fixtures/v1-cli-upgrade';

let relay: RunningRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const portOf = (r: RunningRelay) => Number(new URL(r.http).port);

async function upgrade(r: RunningRelay, options: Parameters<typeof v1UpgradeRequest>[0]): Promise<RawUpgrade> {
  // Plain TCP to the relay, even for a wss:// URL: what the TLS-terminating proxy forwards.
  const raw = RawUpgrade.open(v1UpgradeRequest(options), portOf(r));
  await raw.response;
  return raw;
}

describe('the v1.0 Python CLI upgrade request (websocket-client defaults: Origin = the relay itself)', () => {
  it('fixture: the exact header lines and order websocket-client writes for ws:// and wss://', () => {
    const { text } = v1UpgradeRequest({ url: 'ws://127.0.0.1:9009', path: '/ws/client/cli_WL35080814_0a1b2c3d', apiToken: 'sk-t', deviceId: 'WL35080814', key: 'dGhlIHNhbXBsZSBub25jZQ==' });
    expect(text).toBe([
      'GET /ws/client/cli_WL35080814_0a1b2c3d HTTP/1.1',
      'Upgrade: websocket',
      'Host: 127.0.0.1:9009',
      'Origin: http://127.0.0.1:9009',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      'Connection: Upgrade',
      'Authorization: Bearer sk-t',
      'X-API-Token: sk-t',
      'X-Device-ID: WL35080814',
      '', '',
    ].join('\r\n'));
    const secure = v1UpgradeRequest({ url: 'wss://relay.example.org', path: '/ws/client/x' }).text;
    expect(secure).toContain('\r\nHost: relay.example.org\r\nOrigin: https://relay.example.org\r\n');
  });

  it('is accepted on /ws/client/{id}: 101, then the CLI\'s auth frame gets the welcome', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    const url = relay.ws;
    const raw = await upgrade(relay, { url, path: v1CliClientPath('WL35080814'), apiToken: user.token, deviceId: 'WL35080814' });
    expect(raw.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(raw.acceptOk).toBe(true);
    raw.sendText(JSON.stringify({ type: 'auth', token: user.token }));
    expect(await raw.nextJson()).toMatchObject({ type: 'welcome', status: 'connected', protocol_version: '1.0' });
    raw.destroy();
  });

  it('is accepted on /ws/{device_id} (a device speaking through the same library)', async () => {
    relay = await startRelay();
    const user = await registerUser(relay.http);
    await registerDevice(relay.http, user.token, 'WL1A2B3C');
    const raw = await upgrade(relay, { url: relay.ws, path: '/ws/WL1A2B3C', apiToken: user.token });
    expect(raw.status).toBe(101);
    raw.sendText(JSON.stringify({ type: 'auth', token: user.token }));
    expect(await raw.nextJson()).toMatchObject({ type: 'welcome', device_id: 'WL1A2B3C' });
    raw.destroy();
  });

  it('B21: a foreign Origin is still refused (403) on both endpoints; one in ALLOWED_ORIGINS passes', async () => {
    relay = await startRelay({ env: { ALLOWED_ORIGINS: 'https://app.example.com' } });
    const port = portOf(relay);
    const foreign = [
      'https://evil.example', 'null', 'http://127.0.0.1.evil.io', `http://127.0.0.1:${port + 1}`,
      `https://127.0.0.1:${port}`, // the right host with the wrong scheme: this connection is plain http
      `http://user@127.0.0.1:${port}`,
    ];
    for (const path of ['/ws/client/c-origin', '/ws/WL1A2B3C']) {
      for (const origin of foreign) {
        const probe = new WsProbe(`${relay.ws}${path}`, { headers: { Origin: origin } });
        await probe.opened.catch(() => undefined);
        expect(probe.unexpectedResponse, `${path} ${origin}`).toBe(403);
      }
      const listed = new WsProbe(`${relay.ws}${path}`, { headers: { Origin: 'https://app.example.com' } });
      await listed.opened;
      listed.close();
      // Same origin, written with the default port and upper case: still the relay's own.
      const own = new WsProbe(`${relay.ws}${path}`, { headers: { Origin: `HTTP://127.0.0.1:${port}` } });
      await own.opened;
      own.close();
    }
  });

  it('behind TRUST_PROXY the forwarded scheme and host are the relay\'s own origin (wss:// through nginx/Caddy)', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: '127.0.0.1' } });
    const user = await registerUser(relay.http);
    // nginx `proxy_set_header Host $http_host` + X-Forwarded-Proto: the CLI used wss://relay.example.org.
    const keepsHost = await upgrade(relay, {
      url: 'wss://relay.example.org', path: v1CliClientPath('WL1'), apiToken: user.token, proxyHeaders: [['X-Forwarded-Proto', 'https'], ['X-Forwarded-For', '203.0.113.5']],
    });
    expect(keepsHost.status).toBe(101);
    keepsHost.sendText(JSON.stringify({ type: 'auth', token: user.token }));
    expect(await keepsHost.nextJson()).toMatchObject({ type: 'welcome' });
    keepsHost.destroy();
    // A proxy that rewrites Host to the upstream and passes the public one in X-Forwarded-Host.
    const rewritesHost = await upgrade(relay, {
      url: 'wss://relay.example.org:8443', path: v1CliClientPath('WL1'), hostOverride: `127.0.0.1:${portOf(relay)}`,
      proxyHeaders: [['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'relay.example.org:8443']],
    });
    expect(rewritesHost.status).toBe(101);
    rewritesHost.destroy();
    // The forwarded scheme must match too.
    const wrongScheme = await upgrade(relay, { url: 'wss://relay.example.org', path: '/ws/client/c1', proxyHeaders: [['X-Forwarded-Proto', 'http']] });
    expect(wrongScheme.status).toBe(403);
  });

  it('without TRUST_PROXY, or from a peer that is not the trusted proxy, X-Forwarded-* are ignored', async () => {
    for (const env of [{}, { TRUST_PROXY: '10.9.9.9' }] as Record<string, string>[]) {
      relay = await startRelay({ env });
      const raw = await upgrade(relay, {
        url: 'wss://relay.example.org', path: '/ws/client/c1', proxyHeaders: [['X-Forwarded-Proto', 'https']],
      });
      expect(raw.status, JSON.stringify(env)).toBe(403);
      raw.destroy();
      await relay.close();
      relay = undefined;
    }
  });
});
