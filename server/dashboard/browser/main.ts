/**
 * /dashboard.js (built by scripts/build.mjs, target `dashboard`): live presence of the account's
 * boards and the board panel (targets, wake confirmation, schedules). Runs under the page's CSP
 * (script-src 'self', connect-src 'self'): no inline code, no eval, no other origin.
 */
import { BoardPanel } from './board-panel';
import { LiveChannel } from './channel';

function time(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function rowOf(table: HTMLElement, deviceId: string): HTMLTableRowElement | null {
  return [...table.querySelectorAll<HTMLTableRowElement>('tr[data-device]')].find((row) => row.dataset.device === deviceId) ?? null;
}

function showPresence(table: HTMLElement, deviceId: string, online: boolean, at: number): void {
  const row = rowOf(table, deviceId);
  const status = row?.querySelector('[data-status]');
  if (!row || !status) return;
  const badge = document.createElement('span');
  badge.className = online ? 'online' : 'offline';
  badge.textContent = online ? 'Online now' : 'Offline';
  status.replaceChildren(badge);
  const seen = row.querySelector('[data-last-seen]');
  if (seen && at && online) seen.textContent = time(at); // connecting is contact; the server records no disconnect time
}

function main(): void {
  const table = document.getElementById('devices');
  const indicator = document.getElementById('live');
  const board = document.getElementById('board');
  if (typeof EventSource !== 'function' || (!table && !board)) return;
  const channel = new LiveChannel(board?.dataset.csrf ?? '');
  channel.onState((live) => {
    if (indicator) indicator.textContent = live ? 'live' : 'reconnecting…';
  });
  channel.onFrame((frame) => {
    if (!table) return;
    if (frame.type === 'subscribed' && Array.isArray(frame.endpoints)) {
      for (const e of frame.endpoints as Array<{ device_id?: string; online: boolean }>) if (e.device_id) showPresence(table, e.device_id, e.online, 0);
    } else if (frame.type === 'presence' && typeof frame.device_id === 'string') {
      showPresence(table, frame.device_id, frame.online === true, Number(frame.timestamp));
    }
  });
  if (board && table) {
    const panel = new BoardPanel(channel, board);
    for (const row of table.querySelectorAll<HTMLTableRowElement>('tr[data-device]')) {
      const open = row.querySelector<HTMLButtonElement>('[data-open-board]');
      if (!open) continue;
      open.hidden = false;
      const deviceId = row.dataset.device ?? '';
      const name = row.querySelector<HTMLInputElement>('input[name=name]')?.value ?? '';
      open.addEventListener('click', () => panel.open(deviceId, name ? `${name} (${deviceId})` : deviceId));
    }
  }
  channel.start();
}

main();
