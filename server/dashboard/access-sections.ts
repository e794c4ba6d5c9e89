/** Dashboard sections of issue 14: login sessions (refresh-token families) and pairings, each with its remove button. */
import { html, type SafeHtml } from './html';
import { csrfField } from './layout';

export interface LoginSessionView {
  id: string;
  name: string;
  address: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
}

export interface PairingRowView {
  id: string;
  host: string;
  client: string;
  createdAt: number;
}

type Time = (ms: number | null) => string;

export function sessionSection(sessions: LoginSessionView[], csrf: string, time: Time): SafeHtml {
  const body = sessions.length === 0
    ? html`<p class="hint">No login sessions. Apps and the CLI start one when they log in with your password (<code>wakelink login --username …</code>).</p>`
    : html`<table id="sessions">
<thead><tr><th>Client</th><th>From</th><th>Started</th><th>Last refreshed</th><th>Ends</th><th></th></tr></thead>
<tbody>${sessions.map((s) => html`<tr data-session-id="${s.id}">
<td>${s.name || '—'} <code class="hint">${s.id}</code></td>
<td>${s.address}</td>
<td>${time(s.createdAt)}</td>
<td>${time(s.lastUsedAt)}</td>
<td>${time(s.expiresAt)}</td>
<td><form method="post" action="/dashboard/sessions/revoke" class="inline">${csrfField(csrf)}
<input type="hidden" name="session_id" value="${s.id}">
<button type="submit" class="danger">Revoke</button></form></td>
</tr>`)}</tbody>
</table>`;
  return html`<h2>Login sessions</h2>
${body}
<p class="hint">Revoking a session ends its tokens at once and closes every connection opened with them.</p>`;
}

export function pairingSection(pairings: PairingRowView[], csrf: string, time: Time): SafeHtml {
  const body = pairings.length === 0
    ? html`<p class="hint">No pairings. An endpoint asks for a code (<code>{"type":"pair_request"}</code> or <code>wakelink pairings code</code>) and another confirms it.</p>`
    : html`<table id="pairings">
<thead><tr><th>Host</th><th>Client</th><th>Since</th><th></th></tr></thead>
<tbody>${pairings.map((p) => html`<tr data-pairing-id="${p.id}">
<td>${p.host}</td>
<td>${p.client}</td>
<td>${time(p.createdAt)}</td>
<td><form method="post" action="/dashboard/pairings/remove" class="inline">${csrfField(csrf)}
<input type="hidden" name="pairing_id" value="${p.id}">
<button type="submit" class="danger">Remove</button></form></td>
</tr>`)}</tbody>
</table>`;
  return html`<h2>Pairings</h2>
${body}
<p class="hint">A paired client's commands go to its host without naming it, and the host's events reach the client.</p>`;
}
