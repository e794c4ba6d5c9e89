/**
 * The dashboard's board panel (issue 16) in a real headless Chromium, against a real relay on
 * 127.0.0.1 and a simulated board (real firmware, node engine) connected to it. The page seals
 * every command with the device token typed into it and opens the replies and the board's
 * wake_result events itself; the relay only routes ciphertext. The computers are loopback
 * listeners (a silent one that "wakes" when told, an awake one); the browser may reach 127.0.0.1 only.
 */
import net from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../shared/index';
import { lanCommand, V1Client } from '../hil/helpers/client';
import { captureWol, expectedMagicPacket, randomDeviceId, randomToken, startDevice, type HilDevice, type WolCapture } from '../hil/helpers/device';
import { startHilRelay, type HilRelay } from '../hil/helpers/relay';
import { startSleepyComputer, type SleepyComputer } from '../hil/helpers/sleepy-computer';
import { packagedChromium } from './helpers/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PASSWORD = 'correct horse battery';

async function awakeComputer(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe('board panel in headless Chromium: targets, live state, wake confirmation, schedules (issue 16)', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let relay: HilRelay;
  let wol: WolCapture;
  let device: HilDevice | undefined;
  let sleepy: SleepyComputer;
  let awake: { port: number; close(): void };
  const deviceId = randomDeviceId();
  const wrongToken = randomToken();
  const requests: Request[] = [];
  const offLoopback: string[] = [];
  const cspViolations: string[] = [];
  const lan = async (command: string, data: JsonObject = {}) => (await lanCommand(device!.sim.lanPort, new V1Client(deviceId, device!.token), command, data)).reply;

  beforeAll(async () => {
    relay = await startHilRelay();
    wol = await captureWol();
    sleepy = await startSleepyComputer();
    awake = await awakeComputer();
    browser = await chromium.launch({ executablePath: await packagedChromium(), args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      offLoopback.push(url.href);
      return route.abort();
    });
    page = await context.newPage();
    page.on('request', (request) => requests.push(request));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await device?.stop();
    await relay?.close();
    sleepy?.close();
    awake?.close();
    wol?.close();
  });

  const board = () => page.locator('#board');
  const targetRow = (name: string) => page.locator(`#targets tr[data-target="${name}"]`);
  const status = () => board().locator('#board-status');

  async function saveTarget(fields: Record<string, string>): Promise<void> {
    for (const [label, value] of Object.entries(fields)) await board().getByLabel(label, { exact: true }).fill(value);
    await board().getByRole('button', { name: 'Save target' }).click();
    await status().filter({ hasText: `Target ${fields['Target name']} saved. Updated ` }).waitFor();
  }

  it('signs up, connects the board, unlocks it with the device token, and manages targets with their state', async () => {
    await page.goto(`${relay.http}/register`);
    await page.getByLabel('Username').fill(`panel${process.pid}`);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/dashboard');
    const apiToken = (await page.locator('#new-token').textContent())!.trim();
    await page.getByLabel('Device id').fill(deviceId);
    await page.getByRole('button', { name: 'Add device' }).click();
    await page.waitForURL('**/dashboard');
    device = await startDevice({ engine: 'node', wolPort: wol.port, deviceId, relayUrl: relay.ws, apiToken });
    await device.waitForLine(/cloud: relay says welcome/);
    const row = page.locator(`tr[data-device="${deviceId}"]`);
    await row.locator('.online').waitFor();

    await page.getByRole('button', { name: `Targets of ${deviceId}` }).click();
    await expect(board().isVisible()).resolves.toBe(true);
    // A wrong token: the board's reply cannot be opened with it, nothing is unlocked or kept.
    await board().getByLabel('Device token').fill(wrongToken);
    await board().getByRole('button', { name: 'Unlock' }).click();
    // The board answers with a reply sealed with its own token, which this one cannot open.
    await status().filter({ hasText: /^Not unlocked: the reply could not be opened with this token/ }).waitFor({ timeout: 25_000 });
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    await board().getByLabel('Device token').fill(device.token);
    await board().getByRole('button', { name: 'Unlock' }).click();
    await board().locator('[data-unlocked]').waitFor();
    await status().filter({ hasText: /^Updated / }).waitFor();
    expect(await page.locator('#targets tbody tr').count()).toBe(0);

    await saveTarget({ 'Target name': 'desk', MAC: '02:00:00:00:16:10', Address: '127.0.0.1', 'Probe port': String(sleepy.port), 'Watch (s)': '30', 'Re-sends': '1' });
    await saveTarget({ 'Target name': 'nas', MAC: '02:00:00:00:16:11', Address: '127.0.0.1', 'Probe port': String(awake.port), 'Watch (s)': '120', 'Re-sends': '2' });
    await saveTarget({ 'Target name': 'tv', MAC: '02:00:00:00:16:12', Address: '', 'Probe port': '22' });
    // The state column is the board's `status`: probed now, on 127.0.0.1 only.
    expect(await targetRow('desk').locator('[data-state]').getAttribute('data-state')).toBe('down');
    expect(await targetRow('nas').locator('[data-state]').getAttribute('data-state')).toBe('up');
    expect(await targetRow('tv').locator('[data-state]').getAttribute('data-state')).toBe('unknown');
    expect(await targetRow('desk').textContent()).toContain(`127.0.0.1:${sleepy.port}`);

    // Edit: the form is filled from the row; the board stores the change.
    await targetRow('nas').getByRole('button', { name: 'Edit nas' }).click();
    expect(await board().getByLabel('MAC', { exact: true }).inputValue()).toBe('02:00:00:00:16:11');
    await saveTarget({ 'Target name': 'nas', MAC: '02:00:00:00:16:aa' });
    expect(await targetRow('nas').textContent()).toContain('02:00:00:00:16:AA');
    await targetRow('tv').getByRole('button', { name: 'Delete tv' }).click();
    await status().filter({ hasText: 'Target tv deleted. Updated ' }).waitFor();
    await targetRow('tv').waitFor({ state: 'detached' });
    // What the board itself now holds, asked over its LAN port.
    expect(((await lan('targets_list')).targets as JsonObject[]).map((t) => [t.name, t.mac])).toEqual([['desk', '02:00:00:00:16:10'], ['nas', '02:00:00:00:16:AA']]);

    // A refused target shows the board's own error and changes nothing.
    await board().getByLabel('Target name', { exact: true }).fill('bad name');
    await board().getByRole('button', { name: 'Save target' }).click();
    await status().filter({ hasText: /^Target not saved: INVALID_TARGET/ }).waitFor();
    expect(((await lan('targets_list')).targets as JsonObject[]).length).toBe(2);
  }, 90_000);

  it('wakes a target and shows the confirmation live when the computer comes up (the board\'s sealed wake_result event)', async () => {
    const before = wol.packets.length;
    await targetRow('desk').getByRole('button', { name: 'Wake desk' }).click();
    await targetRow('desk').locator('[data-wake]', { hasText: 'waiting for it to come up' }).waitFor();
    expect(wol.packets.slice(before).some((p) => p.equals(expectedMagicPacket('02:00:00:00:16:10')))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    sleepy.wake();
    const woke = targetRow('desk').locator('[data-wake]', { hasText: /^up after \d+\.\d s$/ });
    await woke.waitFor({ timeout: 20_000 });
    const seconds = Number(/up after ([\d.]+) s/.exec((await woke.textContent())!)![1]);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(await targetRow('desk').locator('[data-state]').getAttribute('data-state')).toBe('up');
    expect(await status().textContent()).toMatch(/^desk is up \(woke after [\d.]+ s\)\.$/);
  }, 40_000);

  it('shows a wake that never answers as the board reports it: no answer after the target\'s watch, state down', async () => {
    const silent = await startSleepyComputer();
    try {
      await saveTarget({ 'Target name': 'never', MAC: '02:00:00:00:16:13', Address: '127.0.0.1', 'Probe port': String(silent.port), 'Watch (s)': '10', 'Re-sends': '0' });
      await targetRow('never').getByRole('button', { name: 'Wake never' }).click();
      await targetRow('never').locator('[data-wake]', { hasText: 'waiting for it to come up' }).waitFor();
      const gaveUp = targetRow('never').locator('[data-wake]', { hasText: /^no answer after \d+\.\d s$/ });
      await gaveUp.waitFor({ timeout: 25_000 });
      expect(Number(/after ([\d.]+) s/.exec((await gaveUp.textContent())!)![1])).toBeGreaterThanOrEqual(10);
      expect(await targetRow('never').locator('[data-state]').getAttribute('data-state')).toBe('down');
      expect(await status().textContent()).toMatch(/^never did not come up within [\d.]+ s\.$/);
      // The other rows kept what they showed.
      expect(await targetRow('desk').locator('[data-wake]').textContent()).toMatch(/^up after /);
    } finally {
      silent.close();
    }
  }, 45_000);

  it('lists, adds and deletes schedules on the board', async () => {
    // (A label around a select is named with its option too: found by its field name.)
    await board().locator('#schedule-form select[name=target]').selectOption('nas');
    await board().getByLabel('At', { exact: true }).fill('07:30');
    await board().getByLabel('Days', { exact: true }).fill('mon,wed,fri');
    await board().getByLabel('UTC offset (min)', { exact: true }).fill('60');
    await board().getByRole('button', { name: 'Add schedule' }).click();
    await status().filter({ hasText: /^Schedule \d+ saved\. Updated / }).waitFor();
    const rows = page.locator('#schedules tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td').allTextContents()).toEqual(['1', 'nas', '07:30', 'mon,wed,fri', '60', 'Delete']);
    expect((await lan('schedules_list')).schedules).toEqual([{ id: 1, target: 'nas', at: '07:30', days: 'mon,wed,fri', utc_offset: 60 }]);
    await rows.first().getByRole('button', { name: 'Delete schedule 1' }).click();
    await status().filter({ hasText: 'Schedule 1 deleted. Updated ' }).waitFor();
    await rows.first().waitFor({ state: 'detached' });
    expect((await lan('schedules_list')).schedules).toEqual([]);
  }, 30_000);

  it('kept the token in the page: never in a request, a URL or a cookie; a reload stays unlocked from this tab\'s storage; the CSP held', async () => {
    const token = device!.token;
    expect(requests.length).toBeGreaterThan(10);
    for (const request of requests) {
      expect(request.url()).not.toContain(token);
      expect(JSON.stringify(await request.allHeaders())).not.toContain(token);
      expect(request.postData() ?? '').not.toContain(token);
    }
    const commands = requests.filter((r) => new URL(r.url()).pathname === '/dashboard/command');
    expect(commands.length).toBeGreaterThan(10);
    for (const request of commands) {
      expect(request.method()).toBe('POST');
      expect(new URL(request.url()).search).toBe('');
      const body = JSON.parse(request.postData()!);
      // Only ciphertext: the packet opens with the device token, and the command name is not in the clear.
      expect(Object.keys(body.frame.packet).sort()).toEqual(['device_id', 'payload', 'signature', 'version']);
      // (The unlock attempt with the wrong token sealed its one command with that token.)
      let inner: JsonObject;
      try {
        inner = new V1Client(deviceId, token).open(body.frame.packet);
      } catch {
        inner = new V1Client(deviceId, wrongToken).open(body.frame.packet);
        expect(inner.command).toBe('targets_list');
      }
      expect(inner).toHaveProperty('command');
      expect(request.postData()).not.toMatch(/targets_list|target_set|schedule_set|"desk"/);
    }
    expect(JSON.stringify(await context.cookies())).not.toContain(token);
    expect(await page.evaluate('JSON.stringify(sessionStorage)')).not.toContain(token);

    await page.reload();
    await page.getByRole('button', { name: `Targets of ${deviceId}` }).click();
    await status().filter({ hasText: /^Updated / }).waitFor();
    expect(await page.locator('#targets tbody tr').count()).toBe(3);
    await board().getByRole('button', { name: 'Forget token' }).click();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await board().getByLabel('Device token').waitFor();

    expect(cspViolations).toEqual([]);
    expect(offLoopback).toEqual([]);
  }, 30_000);
});
