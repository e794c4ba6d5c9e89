import { html, type SafeHtml } from './html';

export const STYLESHEET_PATH = '/dashboard.css';

/**
 * Headers for every dashboard response. No script is allowed (the dashboard page alone allows its
 * own, see live.ts), styles
 * only from our own stylesheet, forms only back to us, and no framing (clickjacking).
 */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

/** The signed-in user as the header shows them: the logout button needs the session's CSRF token. */
export interface HeaderUser {
  username: string;
  csrf: string;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

/** `script`: the path of this relay's own script for the page (only the dashboard has one, live presence). */
export function layout(title: string, user: HeaderUser | null, body: SafeHtml, script?: string): SafeHtml {
  const nav = user
    ? html`<span class="who">Signed in as <strong>${user.username}</strong></span>
        <a href="/dashboard">Dashboard</a>
        <form method="post" action="/logout" class="inline">${csrfField(user.csrf)}<button type="submit" class="link">Log out</button></form>`
    : html`<a href="/login">Log in</a> <a href="/register">Create account</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · WakeLink relay</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${script ? html`<script src="${script}" defer></script>` : ''}
</head>
<body>
<header><a class="brand" href="/">WakeLink relay</a><nav>${nav}</nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}

export const STYLESHEET = `
:root { color-scheme: light dark; --accent: #2563eb; --ok: #15803d; --bad: #b91c1c; --muted: #6b7280; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1.25rem; border-bottom: 1px solid #8884; }
header nav { display: flex; gap: 1rem; align-items: center; }
.brand { font-weight: 700; text-decoration: none; color: inherit; }
main { max-width: 60rem; margin: 0 auto; padding: 1.25rem; }
a { color: var(--accent); }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
form.stack { display: grid; gap: .75rem; max-width: 22rem; }
label { display: grid; gap: .25rem; font-weight: 600; }
.field { display: grid; gap: .25rem; }
.field label { display: block; }
input[type=text], input[type=password] { font: inherit; padding: .45rem .6rem; border: 1px solid #8888; border-radius: .35rem; }
button { font: inherit; padding: .4rem .9rem; border-radius: .35rem; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; }
button.danger { background: transparent; color: var(--bad); border-color: var(--bad); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
form.inline { display: inline; margin: 0; }
.hint { color: var(--muted); font-size: .9rem; font-weight: 400; }
.error { color: var(--bad); }
.alert { border: 1px solid var(--bad); border-radius: .35rem; padding: .6rem .8rem; }
.notice { border: 1px solid var(--ok); border-radius: .35rem; padding: .6rem .8rem; }
.token { border: 2px solid var(--accent); border-radius: .35rem; padding: .75rem 1rem; }
.token .secret { display: block; overflow-wrap: anywhere; user-select: all; font-size: 1rem; padding: .4rem 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #8884; vertical-align: middle; }
.online { color: var(--ok); font-weight: 600; }
.offline { color: var(--muted); }
.row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; }
td form.inline input[type=text] { width: 9rem; padding: .2rem .4rem; }
input[type=number], select { font: inherit; padding: .45rem .6rem; border: 1px solid #8888; border-radius: .35rem; }
input[type=number] { width: 7rem; }
[hidden] { display: none !important; }
.state-up { color: var(--ok); font-weight: 600; }
.state-down { color: var(--bad); font-weight: 600; }
.state-unknown, .state-pending { color: var(--muted); }
#board { border-top: 1px solid #8884; margin-top: 2rem; }
`;
