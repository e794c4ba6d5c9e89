/**
 * The board panel (issue 16): a board's named targets with their state (the `status` command:
 * up, down, unknown), add/edit/delete, wake with live confirmation (the board's sealed
 * `wake_result` event), and schedules. Everything is a sealed command through LiveChannel; the
 * device key lives in this tab's sessionStorage (the token itself is not kept) and nowhere else.
 */
import { fromHex, toHex, type JsonObject } from '../../../shared/index';
import { keyFromToken, openSealed, type Frame, type LiveChannel } from './channel';
import { cell, fieldValue, must, numberField } from './dom';

const KEY_PREFIX = 'wakelink.key.';
/** Pages of a list command, at most: 16 targets fit in a few; a bound keeps a confused board from looping us. */
const MAX_PAGES = 64;
/** While a board's panel is open and the tab visible, its targets' state is asked again this often (one probe per target). */
const STATUS_EVERY_MS = 30_000;

interface TargetRow { name: string; mac: string; host: string; port: number; broadcast: string; retries: number; wait: number; secure_on: boolean }

export class BoardPanel {
  private deviceId: string | null = null;
  private key: Uint8Array | null = null;
  private targets: TargetRow[] = [];
  private states = new Map<string, string>();
  private lastWake = new Map<string, string>();
  /** A refresh is running: the periodic status check skips its turn. */
  private busy = false;
  private readonly root: HTMLElement;

  constructor(private readonly channel: LiveChannel, root: HTMLElement) {
    this.root = root;
    channel.onFrame((frame) => this.onFrame(frame));
    window.setInterval(() => {
      if (this.key && !this.busy && document.visibilityState === 'visible') void this.refreshStatus();
    }, STATUS_EVERY_MS);
    must<HTMLFormElement>(root, '#board-unlock').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.unlock(event.target as HTMLFormElement);
    });
    must(root, '#board-forget').addEventListener('click', () => this.forget());
    must(root, '#board-refresh').addEventListener('click', () => void this.refresh());
    must<HTMLFormElement>(root, '#target-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.saveTarget(event.target as HTMLFormElement);
    });
    must<HTMLFormElement>(root, '#schedule-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.addSchedule(event.target as HTMLFormElement);
    });
  }

  open(deviceId: string, label: string): void {
    this.deviceId = deviceId;
    this.targets = [];
    this.states.clear();
    this.lastWake.clear();
    this.root.hidden = false;
    must(this.root, '[data-board-name]').textContent = label;
    const stored = sessionStorage.getItem(KEY_PREFIX + deviceId);
    this.key = stored && /^[0-9a-f]{64}$/.test(stored) ? fromHex(stored) : null;
    this.showLocked(this.key === null);
    this.say(this.key ? 'Loading…' : 'Enter the device token of this board to manage its targets.');
    if (this.key) void this.refresh();
    this.root.scrollIntoView({ block: 'nearest' });
  }

  private showLocked(locked: boolean): void {
    must(this.root, '#board-unlock').hidden = !locked;
    must(this.root, '[data-locked]').hidden = !locked;
    must(this.root, '[data-unlocked]').hidden = locked;
  }

  private say(text: string): void {
    must(this.root, '#board-status').textContent = text;
  }

  private async run(command: string, data: JsonObject = {}): Promise<JsonObject> {
    if (!this.deviceId || !this.key) throw new Error('unlock the board first');
    const reply = await this.channel.command(this.deviceId, this.key, command, data);
    if (reply.status === 'error') throw new Error(`${String(reply.error)}${typeof reply.message === 'string' ? `: ${reply.message}` : ''}`);
    return reply;
  }

  /** Every page of a paged list command (`next` is the offset of the next page, or null). */
  private async all(command: string, field: string): Promise<{ items: JsonObject[]; last: JsonObject }> {
    const items: JsonObject[] = [];
    let offset = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const reply = await this.run(command, { offset });
      items.push(...((reply[field] as JsonObject[] | undefined) ?? []));
      if (typeof reply.next !== 'number' || reply.next <= offset) return { items, last: reply };
      offset = reply.next;
    }
    throw new Error(`${command}: more than ${MAX_PAGES} pages`);
  }

  private async unlock(form: HTMLFormElement): Promise<void> {
    const input = must<HTMLInputElement>(form, 'input[name=token]');
    let key: Uint8Array;
    try {
      key = keyFromToken(input.value);
    } catch (error) {
      this.say(`That is not a device token: ${(error as Error).message}`);
      return;
    }
    input.value = '';
    this.key = key;
    this.say('Checking the token with the board…');
    try {
      await this.run('targets_list', { offset: 0 });
    } catch (error) {
      this.key = null;
      this.say(`Not unlocked: ${(error as Error).message}`);
      return;
    }
    if (this.deviceId) sessionStorage.setItem(KEY_PREFIX + this.deviceId, toHex(key));
    this.showLocked(false);
    await this.refresh();
  }

  private forget(): void {
    if (this.deviceId) sessionStorage.removeItem(KEY_PREFIX + this.deviceId);
    this.key = null;
    this.showLocked(true);
    this.say('Token forgotten in this tab.');
  }

  /** Reads targets, their state and schedules from the board; `done` (what just happened) leads the status line. */
  async refresh(done = ''): Promise<void> {
    const lead = done === '' ? '' : `${done} `;
    this.busy = true;
    try {
      this.say(`${lead}Asking the board…`);
      const device = this.deviceId;
      const targets = (await this.all('targets_list', 'targets')).items as unknown as TargetRow[];
      if (this.deviceId !== device) return; // another board was opened meanwhile
      this.targets = targets;
      this.renderTargets();
      const status = await this.all('status', 'targets');
      if (this.deviceId !== device) return;
      this.states = new Map(status.items.map((t) => [String(t.name), String(t.state)]));
      this.renderTargets();
      const schedules = await this.all('schedules_list', 'schedules');
      if (this.deviceId !== device) return;
      this.renderSchedules(schedules.items, schedules.last.clock_set === true);
      this.say(`${lead}Updated ${new Date().toLocaleTimeString()}.`);
    } catch (error) {
      this.say(`The board did not answer: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** The targets' state only (the periodic check); a failure is shown, the table is kept. */
  private async refreshStatus(): Promise<void> {
    this.busy = true;
    const device = this.deviceId;
    try {
      const status = await this.all('status', 'targets');
      if (this.deviceId !== device) return; // another board was opened meanwhile
      this.states = new Map(status.items.map((t) => [String(t.name), String(t.state)]));
      this.renderTargets();
    } catch (error) {
      this.say(`State not updated: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private renderTargets(): void {
    const body = must(this.root, '#targets tbody');
    body.replaceChildren(...this.targets.map((t) => {
      const row = document.createElement('tr');
      row.dataset.target = t.name;
      const state = this.states.get(t.name) ?? (t.host ? '…' : 'unknown');
      const badge = document.createElement('span');
      badge.className = `state-${state === '…' ? 'pending' : state}`;
      badge.dataset.state = state;
      badge.textContent = state;
      const wake = button('Wake', `Wake ${t.name}`, () => void this.wake(t.name));
      const edit = button('Edit', `Edit ${t.name}`, () => this.edit(t));
      const remove = button('Delete', `Delete ${t.name}`, () => void this.deleteTarget(t.name), 'danger');
      row.append(cell(t.name), cell(t.mac), cell(t.host ? `${t.host}:${t.port}` : '—'), cell(badge), cell(this.lastWake.get(t.name) ?? ''), cell(wake, edit, remove));
      row.cells[4]!.dataset.wake = '';
      return row;
    }));
    const select = must<HTMLSelectElement>(this.root, '#schedule-form select[name=target]');
    const chosen = select.value;
    select.replaceChildren(...this.targets.map((t) => new Option(t.name, t.name, false, t.name === chosen)));
  }

  private renderSchedules(items: JsonObject[], clockSet: boolean): void {
    must(this.root, '[data-clock]').textContent = clockSet ? '' : '(the board\'s clock is not set yet: schedules wait for it)';
    must(this.root, '#schedules tbody').replaceChildren(...items.map((s) => {
      const row = document.createElement('tr');
      row.dataset.schedule = String(s.id);
      const remove = button('Delete', `Delete schedule ${String(s.id)}`, () => void this.deleteSchedule(Number(s.id)), 'danger');
      row.append(cell(String(s.id)), cell(String(s.target)), cell(String(s.at)), cell(String(s.days)), cell(String(s.utc_offset)), cell(remove));
      return row;
    }));
  }

  private setLastWake(name: string, text: string): void {
    this.lastWake.set(name, text);
    const target = [...this.root.querySelectorAll<HTMLTableRowElement>('#targets tr[data-target]')].find((row) => row.dataset.target === name);
    const wakeCell = target?.querySelector<HTMLElement>('[data-wake]');
    if (wakeCell) wakeCell.textContent = text;
  }

  private async wake(name: string): Promise<void> {
    this.setLastWake(name, 'sending…');
    try {
      const reply = await this.run('wake', { target: name });
      this.setLastWake(name, reply.watching === true ? 'magic packet sent, waiting for it to come up…' : 'magic packet sent (no address to watch)');
    } catch (error) {
      this.setLastWake(name, `not sent: ${(error as Error).message}`);
    }
  }

  private edit(t: TargetRow): void {
    const form = must<HTMLFormElement>(this.root, '#target-form');
    for (const [field, value] of Object.entries({ name: t.name, mac: t.mac, host: t.host, port: t.port, broadcast: t.broadcast, retries: t.retries, wait: t.wait, secure_on: '' })) {
      must<HTMLInputElement>(form, `[name=${field}]`).value = String(value);
    }
    must<HTMLInputElement>(form, '[name=name]').focus();
  }

  private async saveTarget(form: HTMLFormElement): Promise<void> {
    const data: JsonObject = {
      name: fieldValue(form, 'name'), mac: fieldValue(form, 'mac'), host: fieldValue(form, 'host'), broadcast: fieldValue(form, 'broadcast'),
      port: numberField(form, 'port'), retries: numberField(form, 'retries'), wait: numberField(form, 'wait'),
    };
    const secureOn = fieldValue(form, 'secure_on');
    if (secureOn !== '') data.secure_on = secureOn;
    try {
      await this.run('target_set', data);
      must<HTMLInputElement>(form, '[name=secure_on]').value = '';
      await this.refresh(`Target ${String(data.name)} saved.`);
    } catch (error) {
      this.say(`Target not saved: ${(error as Error).message}`);
    }
  }

  private async deleteTarget(name: string): Promise<void> {
    try {
      await this.run('target_delete', { name });
      await this.refresh(`Target ${name} deleted.`);
    } catch (error) {
      this.say(`Target not deleted: ${(error as Error).message}`);
    }
  }

  private async addSchedule(form: HTMLFormElement): Promise<void> {
    const data: JsonObject = { target: fieldValue(form, 'target'), at: fieldValue(form, 'at'), days: fieldValue(form, 'days'), utc_offset: numberField(form, 'utc_offset') };
    try {
      const reply = await this.run('schedule_set', data);
      await this.refresh(`Schedule ${String(reply.id)} saved.`);
    } catch (error) {
      this.say(`Schedule not saved: ${(error as Error).message}`);
    }
  }

  private async deleteSchedule(id: number): Promise<void> {
    try {
      await this.run('schedule_delete', { id });
      await this.refresh(`Schedule ${id} deleted.`);
    } catch (error) {
      this.say(`Schedule not deleted: ${(error as Error).message}`);
    }
  }

  /** A board's sealed wake_result: opened with this board's key, shown in its row. */
  private onFrame(frame: Frame): void {
    if (frame.type !== 'event' || frame.event !== 'wake_result' || frame.device_id !== this.deviceId || !this.key) return;
    const inner = openSealed(this.key, frame.content);
    if (!inner || typeof inner.target !== 'string') return;
    const seconds = typeof inner.after_ms === 'number' ? (inner.after_ms / 1000).toFixed(1) : '?';
    if (inner.state === 'up') {
      this.states.set(inner.target, 'up');
      this.lastWake.set(inner.target, `up after ${seconds} s`);
      this.renderTargets();
      this.say(`${inner.target} is up (woke after ${seconds} s).`);
    } else if (inner.state === 'timeout') {
      this.states.set(inner.target, 'down');
      this.lastWake.set(inner.target, `no answer after ${seconds} s`);
      this.renderTargets();
      this.say(`${inner.target} did not come up within ${seconds} s.`);
    }
  }
}

function button(text: string, label: string, onClick: () => void, className = 'link'): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = className;
  element.textContent = text;
  element.setAttribute('aria-label', label);
  element.addEventListener('click', onClick);
  return element;
}
