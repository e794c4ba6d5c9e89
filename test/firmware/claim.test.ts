/**
 * Claiming a board with a code (issue 14), board side, on the in-memory platform: no credential
 * and no account token → the claim socket; the code on the console and the setup page; the
 * credential stored and used on the device socket (never the account token); revocation → claim
 * again; a factory reset forgets the credential.
 */
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_KEY } from '../../firmware/device';
import { readStoredText } from '../../firmware/stored-text';
import { bootDevice, provisionedStore, SETUP_PASSWORD, type TestDevice } from './helpers/harness';
import { login } from './helpers/http';

const CREDENTIAL = 'dc_' + 'k'.repeat(40);

function claimingDevice(): TestDevice {
  return bootDevice({ store: provisionedStore({ relayUrl: 'ws://127.0.0.1:9009', cloudEnabled: true }) });
}

describe('claim flow on the board', () => {
  it('without a credential or account token, connects to the claim socket and shows the code', () => {
    const device = claimingDevice();
    const relay = device.platform.websocket.last!;
    expect(relay.options.url).toBe('ws://127.0.0.1:9009/ws/claim/WL35080814');
    expect(relay.options.headers).toEqual([]);
    relay.open();
    expect(relay.sent).toEqual([]);
    relay.message(JSON.stringify({ type: 'claim_code', code: '482913', expires_in_seconds: 600 }));
    expect(device.platform.logger.text()).toMatch(/CLAIM code=482913 \(valid 10 min\)/);
    expect(device.handle.status().cloudStatus).toBe('disconnected');
    // Garbage and packets on the claim socket change nothing.
    relay.message('{"type":"credential","credential":"short"}');
    relay.message('not json');
    expect(device.platform.websocket.connections).toHaveLength(1);
    // The owner also finds it on the setup page, after logging in.
    expect(login(device, SETUP_PASSWORD).page.body).toContain('Relay claim code: <strong><code>482913</code></strong>');
  });

  it('stores the credential it is handed and reconnects to the device socket with it', () => {
    const device = claimingDevice();
    const claim = device.platform.websocket.last!;
    claim.open();
    claim.message(JSON.stringify({ type: 'credential', credential: CREDENTIAL }));
    expect(claim.closedByDevice).toBe(true);
    expect(readStoredText(device.platform.store, CREDENTIAL_KEY)).toBe(CREDENTIAL);
    const link = device.platform.websocket.last!;
    expect(link.options.url).toBe('ws://127.0.0.1:9009/ws/WL35080814');
    expect(link.options.headers).toEqual([['Authorization', `Bearer ${CREDENTIAL}`], ['X-Device-ID', 'WL35080814']]);
    link.open();
    expect(link.sent[0]).toBe(JSON.stringify({ type: 'auth', token: CREDENTIAL }));
    expect(device.handle.status().cloudStatus).toBe('connected');
    // A reboot keeps it.
    device.handle.stop();
    const again = bootDevice({ store: device.platform.store });
    expect(again.platform.websocket.last!.options.url).toBe('ws://127.0.0.1:9009/ws/WL35080814');
  });

  it('prefers its own credential to an account token, and claims again once the relay revokes it', () => {
    const store = provisionedStore({ relayUrl: 'ws://127.0.0.1:9009', apiToken: 'sk-' + 'a'.repeat(40), cloudEnabled: true });
    const first = bootDevice({ store });
    expect(first.platform.websocket.last!.options.headers[0]).toEqual(['X-API-Token', 'sk-' + 'a'.repeat(40)]);
    first.handle.stop();
    store.set(CREDENTIAL_KEY, 'a');
    store.set(CREDENTIAL_KEY + 'an', '1');
    store.set(CREDENTIAL_KEY + 'a0', CREDENTIAL);
    const device = bootDevice({ store });
    const link = device.platform.websocket.last!;
    expect(link.options.headers[0]).toEqual(['Authorization', `Bearer ${CREDENTIAL}`]);
    link.open();
    link.message(JSON.stringify({ status: 'error', error: 'CREDENTIAL_REVOKED' }));
    expect(readStoredText(store, CREDENTIAL_KEY)).toBeUndefined();
    // With an account token still configured it falls back to it (a v1.0 set-up); without one it would claim.
    expect(device.platform.websocket.last!.options.headers[0]).toEqual(['X-API-Token', 'sk-' + 'a'.repeat(40)]);
  });
});
