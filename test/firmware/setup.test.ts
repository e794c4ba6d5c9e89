/** Identity (B1), boot and setup-mode transitions, and the setup page (S7: auth, CSRF, escaping). */
import { describe, expect, it } from 'vitest';
import {
  LOGIN_GLOBAL_MAX_FAILURES, LOGIN_GLOBAL_WINDOW_MS, LOGIN_LOCKOUT_BASE_MS, LOGIN_THROTTLE_MAX_CLIENTS, SETUP_RETRY_STATION_MS,
} from '../../firmware/constants';
import { deviceIdFromChip, randomString } from '../../firmware/identity';
import { MemoryStore } from '../../firmware/platform/memory/index';
import { readStoredText, writeStoredText } from '../../firmware/stored-text';
import { deriveKey } from '../../shared/index';
import { nodeCrypto } from '../../node/crypto';
import { bootDevice, command, HOME_PASSWORD, HOME_SSID, HTTP_PORT, LAN_PORT, provisionedStore, sendCommand, SETUP_PASSWORD } from './helpers/harness';
import { form, httpRequest, login } from './helpers/http';

describe('identity', () => {
  it('device id is WL + uppercase hex chip id without padding', () => {
    expect(deviceIdFromChip(0x35080814)).toBe('WL35080814');
    expect(deviceIdFromChip(0xabc)).toBe('WLABC');
    expect(deviceIdFromChip(0xdeadbeef)).toBe('WLDEADBEEF');
    expect(() => deviceIdFromChip(-1)).toThrow(RangeError);
  });

  it('token characters are unbiased: every byte value above the last full multiple of 62 is discarded', () => {
    let next = 0;
    const cycling = { bytes: (n: number) => Uint8Array.from({ length: n }, () => next++ & 0xff) };
    const text = randomString(cycling, 62 * 4 * 10);
    const counts = new Map<string, number>();
    for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    expect(new Set(counts.values())).toEqual(new Set([40]));
  });

  it('B1: first boot generates exactly one 96-character token, prints it once, and keeps it on later boots', () => {
    const store = new MemoryStore();
    const first = bootDevice({ store, wifiReachable: false });
    const token = readStoredText(store, 'tok')!;
    expect(token).toMatch(/^[A-Za-z0-9]{96}$/);
    const banner = first.platform.logger.lines.filter((l) => l.message.startsWith('PROVISION'));
    expect(banner.map((l) => l.message)).toContain(`PROVISION device_token=${token}`);
    expect(banner.filter((l) => l.message.includes(token))).toHaveLength(1);
    // The printed token is the one in force right away (no reboot needed).
    const live = { ...first, key: deriveKey(token, nodeCrypto) };
    expect(sendCommand(live, command('ping')).inner).toContain('"pong"');

    const second = bootDevice({ store, wifiReachable: false });
    expect(readStoredText(store, 'tok')).toBe(token);
    expect(second.platform.logger.text()).not.toContain('PROVISION');
    expect(second.platform.logger.text()).not.toContain(token);
  });

  it('an unusable stored token is replaced at boot instead of disabling crypto', () => {
    const store = provisionedStore();
    writeStoredText(store, 'tok', 'short');
    bootDevice({ store });
    expect(readStoredText(store, 'tok')).toMatch(/^[A-Za-z0-9]{96}$/);
  });
});

describe('boot and setup mode', () => {
  it('unconfigured: soft AP WakeLink-XXXX with the per-device password, LAN and setup page both reachable', () => {
    const store = provisionedStore({ wifi: false });
    const device = bootDevice({ store });
    expect(device.handle.status().mode).toBe('AP');
    expect(device.platform.network.accessPoint).toEqual({ ssid: 'WakeLink-0814', password: SETUP_PASSWORD });
    expect(device.platform.network.accessPoint!.password).not.toBe('configure123');
    expect(device.platform.tcp.isListening(LAN_PORT)).toBe(true);
    expect(device.platform.tcp.isListening(HTTP_PORT)).toBe(true);
    const info = JSON.parse(sendCommand(device, command('info')).inner) as Record<string, unknown>;
    expect(info.mode).toBe('AP');
    expect(info.ip).toBe('0.0.0.0');
  });

  it('Wi-Fi failure falls back to setup mode and retries the stored network later, without rebooting (B17)', () => {
    const device = bootDevice({ wifiReachable: false });
    expect(device.handle.status().mode).toBe('AP');
    device.platform.network.reachable.set(HOME_SSID, HOME_PASSWORD);
    device.platform.timers.advance(SETUP_RETRY_STATION_MS);
    expect(device.handle.status().mode).toBe('STA');
    expect(device.platform.restarts).toBe(0);
  });

  it('B17: after open_setup the device goes back to the stored network once nobody uses the setup page', () => {
    const device = bootDevice();
    sendCommand(device, command('open_setup'));
    device.platform.timers.advance(1000);
    expect(device.handle.status().mode).toBe('AP');
    login(device, SETUP_PASSWORD);
    device.platform.timers.advance(SETUP_RETRY_STATION_MS);
    expect(device.handle.status().mode).toBe('AP'); // the owner is still logged in
    device.platform.timers.advance(SETUP_RETRY_STATION_MS * 2); // the session has expired by now
    expect(device.handle.status().mode).toBe('STA');
    expect(device.platform.network.mode()).toBe('STA');
    expect(sendCommand(device, command('ping')).inner).toContain('"pong"');
    expect(device.platform.restarts).toBe(0);
  });

  it('does not pull the access point away while the owner is logged in', () => {
    const device = bootDevice({ wifiReachable: false });
    login(device, SETUP_PASSWORD);
    device.platform.network.reachable.set(HOME_SSID, HOME_PASSWORD);
    device.platform.timers.advance(SETUP_RETRY_STATION_MS);
    expect(device.handle.status().mode).toBe('AP');
  });

  it('a lost station link is rejoined; if that fails the device falls back to setup mode', () => {
    const device = bootDevice();
    device.platform.network.reachable.clear();
    device.platform.network.loseStation();
    device.platform.timers.advance(0);
    expect(device.handle.status().mode).toBe('AP');
  });

  it('web_control disable stops the setup page in station mode only', () => {
    const device = bootDevice();
    expect(device.platform.tcp.isListening(HTTP_PORT)).toBe(true);
    sendCommand(device, command('web_control', { action: 'disable' }));
    expect(device.platform.tcp.isListening(HTTP_PORT)).toBe(false);
    expect(device.platform.tcp.isListening(LAN_PORT)).toBe(true);
  });
});

describe('setup page (S7)', () => {
  it('shows only a login form before authentication: no token, no Wi-Fi password', () => {
    const device = bootDevice();
    const page = httpRequest(device, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    expect(page.body).not.toContain(device.token);
    expect(page.body).not.toContain(HOME_PASSWORD);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('refuses a wrong password and locks out after repeated failures', () => {
    const device = bootDevice();
    for (let i = 0; i < 5; i++) expect(httpRequest(device, 'POST', '/login', form({ password: 'guess' + i })).status).toBe(403);
    expect(httpRequest(device, 'POST', '/login', form({ password: SETUP_PASSWORD })).status).toBe(429);
    device.platform.timers.advance(60_000);
    expect(httpRequest(device, 'POST', '/login', form({ password: SETUP_PASSWORD })).status).toBe(303);
  });

  it('S7: the login throttle is per client address, grows per address, and remembers a bounded number of clients', () => {
    const device = bootDevice();
    const attacker = '192.168.1.66';
    const owner = '192.168.1.10';
    const tryLogin = (password: string, from: string) => httpRequest(device, 'POST', '/login', form({ password }), {}, from).status;
    for (let i = 0; i < 5; i++) expect(tryLogin('guess' + i, attacker)).toBe(403);
    expect(tryLogin(SETUP_PASSWORD, attacker)).toBe(429);
    // Another address is not locked out by the attacker's failures.
    expect(tryLogin(SETUP_PASSWORD, owner)).toBe(303);
    // The attacker's delay grows: the second lockout lasts longer than the first.
    device.platform.timers.advance(LOGIN_LOCKOUT_BASE_MS);
    for (let i = 0; i < 5; i++) expect(tryLogin('again' + i, attacker)).toBe(403);
    device.platform.timers.advance(LOGIN_LOCKOUT_BASE_MS);
    expect(tryLogin('later', attacker)).toBe(429);
    device.platform.timers.advance(LOGIN_LOCKOUT_BASE_MS);
    expect(tryLogin('later', attacker)).toBe(403);
    // Many addresses: the table stays bounded, the oldest entries are dropped.
    for (let n = 0; n < LOGIN_THROTTLE_MAX_CLIENTS + 4; n++) tryLogin('x', `10.0.0.${n}`);
    expect(tryLogin(SETUP_PASSWORD, owner)).toBe(303);
  });

  it('S7 (issue 12 item 8): rotating client addresses does not give unlimited guesses: failed logins are bounded per minute for the whole device', () => {
    const device = bootDevice();
    const tryLogin = (password: string, from: string) => httpRequest(device, 'POST', '/login', form({ password }), {}, from).status;
    // 9 addresses × 5 guesses: more addresses than the per-address table remembers.
    const statuses: number[] = [];
    for (let a = 0; a < LOGIN_THROTTLE_MAX_CLIENTS + 1; a++) {
      for (let i = 0; i < 5; i++) statuses.push(tryLogin(`guess-${a}-${i}`, `10.9.0.${a}`));
    }
    expect(statuses.filter((s) => s === 403)).toHaveLength(LOGIN_GLOBAL_MAX_FAILURES);
    expect(statuses.slice(LOGIN_GLOBAL_MAX_FAILURES).every((s) => s === 429)).toBe(true);
    // No oracle while the bound holds: the right password from a new address waits too.
    expect(tryLogin(SETUP_PASSWORD, '10.9.1.1')).toBe(429);
    device.platform.timers.advance(LOGIN_GLOBAL_WINDOW_MS);
    expect(tryLogin(SETUP_PASSWORD, '10.9.1.1')).toBe(303);
  });

  it('after login shows the token and id, never the Wi-Fi password, with every value escaped', () => {
    const store = provisionedStore({ relayUrl: 'https://relay.example/"><script>alert(1)</script>' });
    const device = bootDevice({ store });
    const { page } = login(device, SETUP_PASSWORD);
    expect(page.body).toContain(device.token);
    expect(page.body).toContain('WL35080814');
    expect(page.body).not.toContain(HOME_PASSWORD);
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('&#34;&#62;&#60;script&#62;');
  });

  it('checks the CSRF token and the session cookie before saving; bad input changes nothing', () => {
    const store = provisionedStore();
    const device = bootDevice({ store });
    const { cookie, csrf } = login(device, SETUP_PASSWORD);
    const fields = { ssid: 'new-net', pass: 'new password', cloud_url: 'wss://relay.example/ws', cloud_token: 'a'.repeat(64), cloud_enabled: '1', tls_verify: '1' };
    expect(httpRequest(device, 'POST', '/save', form(fields), { Cookie: cookie }).status).toBe(403);
    expect(httpRequest(device, 'POST', '/save', form({ ...fields, csrf: '0'.repeat(32) }), { Cookie: cookie }).status).toBe(403);
    expect(httpRequest(device, 'POST', '/save', form({ ...fields, csrf })).status).toBe(403);
    expect(httpRequest(device, 'POST', '/save', form({ ...fields, ssid: 'x'.repeat(40), csrf }), { Cookie: cookie }).status).toBe(400);
    expect(store.get('ssid')).toBe(HOME_SSID);

    const saved = httpRequest(device, 'POST', '/save', form({ ...fields, csrf }), { Cookie: cookie });
    expect(saved.status).toBe(200);
    expect(store.get('ssid')).toBe('new-net');
    expect(store.get('wifi_pw')).toBe('new password');
    expect(readStoredText(store, 'url')).toBe('wss://relay.example/ws');
    expect(readStoredText(store, 'api')).toBe('a'.repeat(64));
    device.platform.timers.advance(1000);
    expect(device.platform.restarts).toBe(1);
    // The session ends with the save.
    expect(httpRequest(device, 'GET', '/', '', { Cookie: cookie }).body).toContain('name="password"');
  });

  it('leaving the password fields empty keeps the stored secrets', () => {
    const store = provisionedStore({ apiToken: 'b'.repeat(64) });
    const device = bootDevice({ store });
    const { cookie, csrf } = login(device, SETUP_PASSWORD);
    httpRequest(device, 'POST', '/save', form({ ssid: HOME_SSID, pass: '', cloud_url: '', cloud_token: '', csrf }), { Cookie: cookie });
    expect(store.get('wifi_pw')).toBe(HOME_PASSWORD);
    expect(readStoredText(store, 'api')).toBe('b'.repeat(64));
  });

  it('factory reset (spec 5.5) needs login, CSRF and confirmation, then erases settings and identity', () => {
    const store = provisionedStore({ relayUrl: 'wss://relay.example', apiToken: 'd'.repeat(64) });
    const device = bootDevice({ store });
    sendCommand(device, command('ping'));
    const { cookie, csrf } = login(device, SETUP_PASSWORD);
    expect(httpRequest(device, 'POST', '/reset', form({ confirm: 'yes' }), { Cookie: cookie }).status).toBe(403);
    expect(httpRequest(device, 'POST', '/reset', form({ csrf }), { Cookie: cookie }).status).toBe(400);
    expect(store.get('ssid')).toBe(HOME_SSID);
    expect(httpRequest(device, 'POST', '/reset', form({ csrf, confirm: 'yes' }), { Cookie: cookie }).status).toBe(200);
    device.platform.timers.advance(1000);
    expect(device.platform.restarts).toBe(1);
    for (const key of ['ssid', 'wifi_pw', 'url', 'api', 'tok', 'setup_pw', 'counter']) expect(store.get(key)).toBeUndefined();
    const rebooted = bootDevice({ store });
    expect(rebooted.handle.status().mode).toBe('AP');
    expect(readStoredText(store, 'tok')).toMatch(/^[A-Za-z0-9]{96}$/);
    expect(readStoredText(store, 'tok')).not.toBe(device.token);
    expect(rebooted.handle.status().requestCounter).toBe(0);
  });

  it('answers oversize and malformed requests with 413 and 400', () => {
    const device = bootDevice();
    expect(httpRequest(device, 'POST', '/login', 'x'.repeat(3000)).status).toBe(413);
    const peer = device.platform.tcp.connect(HTTP_PORT);
    peer.send('NONSENSE\r\n\r\n');
    expect(peer.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(httpRequest(device, 'GET', '/nowhere').status).toBe(404);
  });
});
