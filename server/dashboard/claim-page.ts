/** Dashboard fragments for claiming boards and their credentials (issue 14). */
import { html, type SafeHtml } from './html';
import { csrfField } from './layout';

export interface CredentialView {
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export const ACCOUNT_TOKEN_MARK = 'uses an account token: re-claim to restrict';

/** The device row's credential cell: its own credential with Rotate and Revoke, or the v1.0 mark. */
export function credentialCell(deviceId: string, credential: CredentialView | null, csrf: string): SafeHtml {
  if (!credential) return html`<td data-credential="account-token"><span class="offline">${ACCOUNT_TOKEN_MARK}</span></td>`;
  const button = (action: string, label: string, cls: string) => html`<form method="post" action="/dashboard/credentials/${action}" class="inline">${csrfField(csrf)}
<input type="hidden" name="device_id" value="${deviceId}"><button type="submit" class="${cls}">${label}</button></form>`;
  return html`<td data-credential="own">own credential <code>${credential.prefix}…</code>
${button('rotate', 'Rotate', 'link')} ${button('revoke', 'Revoke', 'danger')}</td>`;
}

export function claimSection(csrf: string): SafeHtml {
  return html`<h2>Claim a board</h2>
<form method="post" action="/dashboard/claim" class="row" id="claim">
${csrfField(csrf)}
<label>Claim code <input type="text" name="code" required maxlength="16" inputmode="numeric" autocomplete="off" pattern="[0-9 \\-]{6,16}" placeholder="482913"></label>
<label>Board name <input type="text" name="name" maxlength="64" placeholder="e.g. porch"></label>
<button type="submit">Claim</button>
</form>
<p class="hint">A board with this relay's URL and no token shows a 6-digit code on its serial console (<code>CLAIM code=…</code>) and its setup page, valid 10 minutes. Claiming gives the board its own credential, which opens its own connection and nothing else: no account token goes onto the board. Rotate or Revoke disconnects the board at once; it then shows a new code to claim it with again.</p>`;
}
