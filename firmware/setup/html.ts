/** HTML for the setup page. Every dynamic value goes through `escapeHtml` (S7). */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=\/]/g, (c) => '&#' + c.charCodeAt(0) + ';');
}

function page(title: string, body: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    `<title>${escapeHtml(title)}</title><style>body{font-family:sans-serif;max-width:32em;margin:1em auto;padding:0 1em}` +
    'label{display:block;margin-top:.8em}input[type=text],input[type=password],input[type=url]{width:100%}' +
    'code{word-break:break-all}</style></head><body>' + body + '</body></html>'
  );
}

export function loginPage(deviceId: string, message = ''): string {
  return page(
    'WakeLink setup',
    `<h1>WakeLink ${escapeHtml(deviceId)}</h1>` +
      (message ? `<p><strong>${escapeHtml(message)}</strong></p>` : '') +
      '<p>Enter the setup password printed on the serial console at first boot.</p>' +
      '<form method="post" action="/login"><label>Setup password <input type="password" name="password" autocomplete="current-password"></label>' +
      '<p><button type="submit">Log in</button></p></form>',
  );
}

export interface SettingsView {
  deviceId: string;
  token: string;
  mode: string;
  ip: string;
  ssid: string;
  relayUrl: string;
  apiTokenSet: boolean;
  /** The relay's code for claiming this board, while it has no credential of its own. */
  claimCode?: string;
  /** The board has its own relay credential (it was claimed). */
  claimed: boolean;
  cloudEnabled: boolean;
  tlsVerify: boolean;
  csrf: string;
  message?: string;
}

const checked = (on: boolean): string => (on ? ' checked' : '');

export function settingsPage(view: SettingsView): string {
  const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">`;
  return page(
    'WakeLink setup',
    `<h1>WakeLink ${escapeHtml(view.deviceId)}</h1>` +
      (view.message ? `<p><strong>${escapeHtml(view.message)}</strong></p>` : '') +
      `<p>Mode ${escapeHtml(view.mode)}, address ${escapeHtml(view.ip)}</p>` +
      `<p>Device token (keep it secret):<br><code>${escapeHtml(view.token)}</code></p>` +
      (view.claimCode ? `<p>Relay claim code: <strong><code>${escapeHtml(view.claimCode)}</code></strong> (enter it in the relay's dashboard, or run <code>wakelink claim ${escapeHtml(view.claimCode)}</code>)</p>` : '') +
      (view.claimed ? '<p>This board is claimed: it connects to the relay with its own credential.</p>' : '') +
      '<form method="post" action="/save">' + csrf +
      `<label>Wi-Fi network <input type="text" name="ssid" maxlength="32" value="${escapeHtml(view.ssid)}"></label>` +
      '<label>Wi-Fi password (leave empty to keep the stored one) <input type="password" name="pass" maxlength="63" autocomplete="new-password"></label>' +
      `<label>Relay URL <input type="url" name="cloud_url" maxlength="127" value="${escapeHtml(view.relayUrl)}"></label>` +
      `<label>Relay API token, only for a v1.0 relay; without one the board shows a claim code (${view.apiTokenSet ? 'set; leave empty to keep' : 'not set'}) <input type="password" name="cloud_token" maxlength="128"></label>` +
      `<label><input type="checkbox" name="cloud_enabled" value="1"${checked(view.cloudEnabled)}> Connect to the relay</label>` +
      `<label><input type="checkbox" name="tls_verify" value="1"${checked(view.tlsVerify)}> Verify the relay's TLS certificate</label>` +
      '<p><button type="submit">Save and restart</button></p></form>' +
      '<form method="post" action="/logout">' + csrf + '<button type="submit">Log out</button></form>' +
      '<h2>Factory reset</h2><form method="post" action="/reset">' + csrf +
      '<label><input type="checkbox" name="confirm" value="yes"> Erase Wi-Fi, relay settings, device token and setup password</label>' +
      '<p><button type="submit">Reset and restart</button></p></form>',
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
