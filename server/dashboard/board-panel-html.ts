import {
  TARGET_HOST_MAX, TARGET_NAME_MAX, TARGET_PORT_DEFAULT, TARGET_RETRIES_DEFAULT, TARGET_RETRIES_MAX, TARGET_WAIT_DEFAULT, TARGET_WAIT_MAX, TARGET_WAIT_MIN,
} from '../../shared/targets';
import { html, type SafeHtml } from './html';

/**
 * The board panel (issue 16): targets with their live state, wake with confirmation, schedules.
 * Rendered hidden; the page script (browser/board-panel.ts) shows it once it runs, and fills it
 * from the board's sealed replies. `data-csrf` is the session's token for POST /dashboard/command.
 */
export function boardPanel(csrf: string): SafeHtml {
  return html`<section id="board" data-csrf="${csrf}" hidden aria-labelledby="board-title">
<h2 id="board-title">Targets of <span data-board-name></span></h2>
<p id="board-status" class="hint" role="status" aria-live="polite"></p>
<form id="board-unlock" class="row" autocomplete="off">
<label>Device token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Unlock</button>
</form>
<p class="hint" data-locked>The relay never sees this board's commands: this page seals them with the device token you type, which stays in this browser tab (session storage) and is never sent.</p>
<div data-unlocked hidden>
<p class="row"><button type="button" id="board-refresh">Refresh status</button> <button type="button" id="board-forget" class="danger">Forget token</button></p>
<table id="targets">
<thead><tr><th>Target</th><th>MAC</th><th>Address</th><th>State</th><th>Last wake</th><th></th></tr></thead>
<tbody></tbody>
</table>
<form id="target-form" class="row">
<label>Target name <input type="text" name="name" required maxlength="${TARGET_NAME_MAX}" placeholder="desk"></label>
<label>MAC <input type="text" name="mac" required placeholder="AA:BB:CC:DD:EE:FF"></label>
<label>Address <input type="text" name="host" maxlength="${TARGET_HOST_MAX}" placeholder="192.168.1.20 (optional)"></label>
<label>Probe port <input type="number" name="port" min="1" max="65535" value="${TARGET_PORT_DEFAULT}"></label>
<label>Broadcast <input type="text" name="broadcast" placeholder="optional"></label>
<label>Re-sends <input type="number" name="retries" min="0" max="${TARGET_RETRIES_MAX}" value="${TARGET_RETRIES_DEFAULT}"></label>
<label>Watch (s) <input type="number" name="wait" min="${TARGET_WAIT_MIN}" max="${TARGET_WAIT_MAX}" value="${TARGET_WAIT_DEFAULT}"></label>
<label>SecureOn <input type="password" name="secure_on" autocomplete="off" placeholder="optional"></label>
<button type="submit">Save target</button>
</form>
<p class="hint">Saving a target with a name it already has replaces it; a SecureOn password is never shown back, so enter it again when you edit.</p>
<h3>Schedules <span class="hint" data-clock></span></h3>
<table id="schedules">
<thead><tr><th>#</th><th>Target</th><th>At</th><th>Days</th><th>UTC offset (min)</th><th></th></tr></thead>
<tbody></tbody>
</table>
<form id="schedule-form" class="row">
<label>Target <select name="target" required></select></label>
<label>At <input type="text" name="at" required pattern="([01][0-9]|2[0-3]):[0-5][0-9]" placeholder="07:30"></label>
<label>Days <input type="text" name="days" required value="weekdays" placeholder="daily, weekdays, mon,wed"></label>
<label>UTC offset (min) <input type="number" name="utc_offset" min="-840" max="840" value="0"></label>
<button type="submit">Add schedule</button>
</form>
</div>
</section>`;
}
