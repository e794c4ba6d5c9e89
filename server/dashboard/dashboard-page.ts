import { html, type SafeHtml } from './html';
import { csrfField, layout, type HeaderUser } from './layout';
import type { Flash } from './sessions';
import { DEVICE_ID_PATTERN } from '../../shared/index';
import { LIMITS } from '../limits';
import { LIVE_SCRIPT_PATH } from './live-script';
import { pairingSection, sessionSection, type LoginSessionView, type PairingRowView } from './access-sections';
import { boardPanel } from './board-panel-html';
import { claimSection, credentialCell, type CredentialView } from './claim-page';

export interface DeviceView {
  deviceId: string;
  name: string;
  online: boolean;
  lastSeenAt: number | null;
  addedAt: number;
  /** Its own credential (issue 14), or null: a v1.0 board on an account token. */
  credential: CredentialView | null;
}

export interface TokenView {
  id: number;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface DashboardView {
  user: HeaderUser;
  devices: DeviceView[];
  devicesLimit: number;
  tokens: TokenView[];
  /** Login sessions (refresh-token families) and pairings (issue 14). */
  loginSessions: LoginSessionView[];
  pairings: PairingRowView[];
  flash: Flash | null;
}

/** UTC, minute precision: enough to tell "just now" from "yesterday" without client-side script. */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function flashBlock(flash: Flash | null): SafeHtml {
  if (!flash) return html``;
  const token = flash.newToken
    ? html`<section class="token" aria-live="polite">
<strong>New API token${flash.newToken.name ? html` “${flash.newToken.name}”` : ''}</strong> — copy it now; it is shown only once.
<code id="new-token" class="secret">${flash.newToken.token}</code>
<span class="hint">Use it as <code>Authorization: Bearer …</code>, in the device's cloud settings, or with the CLI.</span>
</section>`
    : '';
  const notice = flash.notice ? html`<p class="notice" role="status">${flash.notice}</p>` : '';
  return html`${notice}${token}`;
}

function deviceRows(view: DashboardView): SafeHtml {
  if (view.devices.length === 0) {
    return html`<p class="hint">No devices yet. Add one below, or register one with the CLI or <code>POST /api/register_device</code> using an API token.</p>`;
  }
  const rows = view.devices.map((d) => html`<tr data-device="${d.deviceId}">
<td><code>${d.deviceId}</code></td>
<td><form method="post" action="/dashboard/devices/rename" class="inline">${csrfField(view.user.csrf)}
<input type="hidden" name="device_id" value="${d.deviceId}">
<input type="text" name="name" value="${d.name}" maxlength="${LIMITS.endpointNameMaxLength}" aria-label="Name of ${d.deviceId}" placeholder="no name">
<button type="submit" class="link">Rename</button></form></td>
<td data-status>${d.online ? html`<span class="online">Online now</span>` : html`<span class="offline">Offline</span>`}</td>
<td data-last-seen>${formatTime(d.lastSeenAt)}</td>
<td>${formatTime(d.addedAt)}</td>
${credentialCell(d.deviceId, d.credential, view.user.csrf)}
<td><button type="button" class="link" data-open-board hidden aria-label="Targets of ${d.deviceId}">Targets</button>
<form method="post" action="/dashboard/delete_device" class="inline">${csrfField(view.user.csrf)}
<input type="hidden" name="device_id" value="${d.deviceId}">
<button type="submit" class="danger">Delete</button></form></td>
</tr>`);
  return html`<table id="devices">
<thead><tr><th>Device</th><th>Name</th><th>Status</th><th>Last seen</th><th>Added</th><th>Credential</th><th></th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

function tokenRows(view: DashboardView): SafeHtml {
  if (view.tokens.length === 0) return html`<p class="hint">No API tokens. Create one below.</p>`;
  const rows = view.tokens.map((t) => html`<tr data-token-id="${t.id}">
<td>${t.name || '—'}</td>
<td><code>${t.prefix}…</code></td>
<td>${formatTime(t.createdAt)}</td>
<td>${formatTime(t.lastUsedAt)}</td>
<td><form method="post" action="/dashboard/tokens/revoke" class="inline">${csrfField(view.user.csrf)}
<input type="hidden" name="token_id" value="${t.id}">
<button type="submit" class="danger">Revoke</button></form></td>
</tr>`);
  return html`<table id="tokens">
<thead><tr><th>Name</th><th>Starts with</th><th>Created</th><th>Last used</th><th></th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

export function dashboardPage(view: DashboardView): SafeHtml {
  return layout('Dashboard', view.user, html`<h1>Dashboard</h1>
${flashBlock(view.flash)}
<h2>Devices <span class="hint">(${view.devices.length} of ${view.devicesLimit})</span> <span id="live" class="hint" aria-live="polite"></span></h2>
${deviceRows(view)}
<form method="post" action="/dashboard/devices" class="row">
${csrfField(view.user.csrf)}
<label>Device id <input type="text" name="device_id" required maxlength="${LIMITS.idMaxLength}" pattern="${DEVICE_ID_PATTERN.slice(1, -1)}" placeholder="WL35080814"></label>
<label>Name <input type="text" name="name" maxlength="${LIMITS.endpointNameMaxLength}" placeholder="e.g. study"></label>
<button type="submit">Add device</button>
</form>
<p class="hint">The device id is printed on the board's serial console at first boot and shown on its setup page (<code>WL</code> and its chip id). A board added by id connects with an account API token (v1.0); claiming it instead gives it its own credential.</p>
${claimSection(view.user.csrf)}
${boardPanel(view.user.csrf)}
<h2>API tokens</h2>
${tokenRows(view)}
<form method="post" action="/dashboard/tokens" class="row">
${csrfField(view.user.csrf)}
<label>New token name <input type="text" name="name" maxlength="${LIMITS.tokenNameMaxLength}" placeholder="e.g. laptop CLI"></label>
<button type="submit">Create token</button>
</form>
<p class="hint">Revoking a token closes every device or client connection opened with it.</p>
${sessionSection(view.loginSessions, view.user.csrf, formatTime)}
${pairingSection(view.pairings, view.user.csrf, formatTime)}`, LIVE_SCRIPT_PATH);
}
