import { LIMITS } from '../limits';
import { html, type SafeHtml } from './html';
import { csrfField, layout, type HeaderUser } from './layout';

/** Pages for visitors and the account forms; the dashboard itself is in dashboard-page.ts. */

export function landingPage(user: HeaderUser | null): SafeHtml {
  const actions = user
    ? html`<p><a href="/dashboard">Open your dashboard</a></p>`
    : html`<p><a href="/login">Log in</a> or <a href="/register">create an account</a>.</p>`;
  return layout('Welcome', user, html`<h1>WakeLink relay</h1>
<p>This relay forwards encrypted WakeLink packets between your boards and your clients. It never
holds a device token, so it cannot read or forge your commands.</p>
${actions}`);
}

export interface LoginView {
  formCsrf: string;
  username?: string;
  error?: string;
}

export function loginPage(view: LoginView): SafeHtml {
  return layout('Log in', null, html`<h1>Log in</h1>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : ''}
<form method="post" action="/login" class="stack">
${csrfField(view.formCsrf)}
<label>Username <input type="text" name="username" value="${view.username ?? ''}" autocomplete="username" required maxlength="${LIMITS.usernameMaxLength}" autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="${LIMITS.passwordMaxLength}"></label>
<button type="submit">Log in</button>
</form>
<p>No account yet? <a href="/register">Create one</a>.</p>`);
}

export interface RegisterErrors {
  username?: string;
  password?: string;
  confirm?: string;
  general?: string;
}

export interface RegisterView {
  formCsrf: string;
  username?: string;
  errors?: RegisterErrors;
}

function fieldError(message: string | undefined, id: string): SafeHtml | string {
  return message ? html`<span class="error" id="${id}">${message}</span>` : '';
}

export function registerPage(view: RegisterView): SafeHtml {
  const errors = view.errors ?? {};
  return layout('Create account', null, html`<h1>Create an account</h1>
${errors.general ? html`<p class="alert" role="alert">${errors.general}</p>` : ''}
<form method="post" action="/register" class="stack">
${csrfField(view.formCsrf)}
<div class="field"><label for="username">Username</label>
<input type="text" id="username" name="username" value="${view.username ?? ''}" autocomplete="username" required minlength="${LIMITS.usernameMinLength}" maxlength="${LIMITS.usernameMaxLength}" aria-describedby="username-hint username-error" autofocus>
<span class="hint" id="username-hint">${LIMITS.usernameMinLength}–${LIMITS.usernameMaxLength} characters: letters, digits, _ . -</span>
${fieldError(errors.username, 'username-error')}</div>
<div class="field"><label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="${LIMITS.passwordMinLength}" maxlength="${LIMITS.passwordMaxLength}" aria-describedby="password-hint password-error">
<span class="hint" id="password-hint">At least ${LIMITS.passwordMinLength} characters.</span>
${fieldError(errors.password, 'password-error')}</div>
<div class="field"><label for="confirm">Repeat password</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required maxlength="${LIMITS.passwordMaxLength}" aria-describedby="confirm-error">
${fieldError(errors.confirm, 'confirm-error')}</div>
<button type="submit">Create account</button>
</form>
<p>Already registered? <a href="/login">Log in</a>.</p>`);
}

export function logoutConfirmPage(user: HeaderUser): SafeHtml {
  return layout('Log out', user, html`<h1>Log out?</h1>
<form method="post" action="/logout">${csrfField(user.csrf)}<button type="submit">Log out</button></form>`);
}

/** Error and status pages (403, 404, 413, 429, 500...): a title, one message, a way back. */
export function messagePage(title: string, message: string, user: HeaderUser | null, back = '/'): SafeHtml {
  return layout(title, user, html`<h1>${title}</h1>
<p class="alert" role="alert">${message}</p>
<p><a href="${back}">Continue</a></p>`);
}
