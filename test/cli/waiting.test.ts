/**
 * What a person sees while the CLI waits for a device that is online but never answers: the same
 * waiting indicator on every transport (TCP, relay HTTP, relay WSS), and a timeout that says what
 * to check. Runs the real CLI entry in-process with a terminal-like stderr (the indicator only
 * draws on a TTY), against a silent loopback device and the real relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCodes } from '../../cli/errors';
import { runInProcess } from './helpers/in-process';
import { startResponder, type Responder } from './helpers/line-responder';
import { createAccount, startTestRelay, type TestRelay } from './helpers/relay';
import { tempDir } from './helpers/temp';
import { connectWsDevice, type WsDevice } from './helpers/ws-device';

const TOKEN = 'WaitingTestToken-0123456789abcdefghijklmnopqrstuvwxyz';
const DEVICE_ID = 'WLA17E01';
/** Long enough for the indicator to draw and for one relay long poll (the HTTP transport needs ≥ 1 s left to pull). */
const TIMEOUT_S = '2';

describe('waiting for a silent device: one indicator for tcp, http and wss; the timeout asks whether the device is online', () => {
  let relay: TestRelay;
  let lan: Responder;
  let device: WsDevice;
  let home: string;

  beforeAll(async () => {
    relay = await startTestRelay();
    const apiToken = await createAccount(relay, 'waiter', 'waiting user password 1');
    lan = await startResponder({ token: TOKEN, silent: true });
    home = tempDir('wl-cli-wait-');
    writeFileSync(join(home, 'devices.json'), JSON.stringify({
      mute: { token: TOKEN, port: lan.port, cloud: true, device_id: DEVICE_ID, added: 1, ip: '127.0.0.1', http_url: relay.http, wss_url: relay.ws, api_token: apiToken },
    }));
    const register = await fetch(`${relay.http}/api/register_device`, {
      method: 'POST', headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ device_id: DEVICE_ID }),
    });
    expect(register.status).toBeLessThan(300);
    device = await connectWsDevice(relay.ws, DEVICE_ID, apiToken, { token: TOKEN, silent: true });
  });
  afterAll(async () => {
    await device?.close();
    await lan?.close();
    await relay?.close();
  });

  const cases = [
    ['tcp', () => `tcp 127.0.0.1:${lan.port}`, () => `no reply from 127.0.0.1:${lan.port} within 2 s (is the device online`],
    ['http', () => `http ${relay.http}`, () => `no reply from ${DEVICE_ID} via ${relay.http} within 2 s (is the device online?)`],
    ['wss', () => `wss ${relay.ws}`, () => `no reply from ${DEVICE_ID} via ${relay.ws} within 2 s (is the device online?)`],
  ] as const;

  for (const [via, path, timeoutText] of cases) {
    it(`${via}: spinner with elapsed seconds for the whole --timeout, line cleared, then exit 4 with the hint`, async () => {
      const received = via === 'tcp' ? lan.received.length : device.received.length;
      const started = Date.now();
      const run = await runInProcess(['ping', 'mute', '--via', via, '--timeout', TIMEOUT_S], home, '', { tty: true });
      const elapsed = Date.now() - started;
      expect(run.code, run.stderr).toBe(ExitCodes.TIMEOUT);
      // It waited the whole --timeout it reports, not less, and stopped soon after.
      expect(elapsed).toBeGreaterThanOrEqual(Number(TIMEOUT_S) * 1000 - 50);
      expect(elapsed).toBeLessThan(Number(TIMEOUT_S) * 1000 + 3000);
      const escaped = path().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      expect(run.stderr).toMatch(new RegExp(`\\r[|/\\\\-] waiting for mute via ${escaped} \\(\\d+s\\)\\x1b\\[K`));
      expect(run.stderr).toContain(`\r\x1b[Kwakelink: ${timeoutText()}`);
      // The device really was reached (online, silent), so the hint is the right one.
      if (via !== 'tcp') expect(device.received.length).toBe(received + 1);
    });
  }
});
