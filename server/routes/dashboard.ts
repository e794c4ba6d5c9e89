import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { USERNAME_PATTERN, type Principal } from '../auth/auth-service';
import { DashboardCookies, SESSION_COOKIE } from '../dashboard/cookies';
import { registerCommandRoute } from '../dashboard/command-route';
import { registerClaimRoutes } from '../dashboard/claim-routes';
import { CsrfTokens } from '../dashboard/csrf';
import { dashboardPage } from '../dashboard/dashboard-page';
import { formField, formId } from '../dashboard/forms';
import type { SafeHtml } from '../dashboard/html';
import { PAGE_SECURITY_HEADERS, STYLESHEET, STYLESHEET_PATH, type HeaderUser } from '../dashboard/layout';
import { DASHBOARD_LIMITS } from '../dashboard/limits';
import { LIVE_PAGE_CSP, registerLiveRoutes } from '../dashboard/live';
import { landingPage, loginPage, logoutConfirmPage, messagePage, registerPage, type RegisterErrors } from '../dashboard/pages';
import { SessionStore, type DashboardSession, type SessionLimits } from '../dashboard/sessions';
import { RelayError, databaseErrorCode } from '../errors';
import { isDeviceId } from '../relay/packets';
import { LIMITS } from '../limits';
import type { UserRecord } from '../store/types';

const USERNAME_RE = new RegExp(USERNAME_PATTERN);
const LOGIN_FAILED = 'Invalid username or password.';
const FORM_EXPIRED = 'This form has expired or was not sent from this site. Go back, reload the page and try again.';

interface SignedIn {
  session: DashboardSession;
  user: UserRecord;
  header: HeaderUser;
  principal: Principal;
}

export interface DashboardOptions {
  sessions?: Partial<SessionLimits>;
}

/** Field-specific messages for the register form; empty when everything is acceptable. */
function registrationErrors(username: string, password: string, confirm: string): RegisterErrors {
  const errors: RegisterErrors = {};
  if (username === '') errors.username = 'Choose a username.';
  else if (username.length < LIMITS.usernameMinLength || username.length > LIMITS.usernameMaxLength) {
    errors.username = `The username must be ${LIMITS.usernameMinLength} to ${LIMITS.usernameMaxLength} characters long.`;
  } else if (!USERNAME_RE.test(username)) {
    errors.username = 'The username may contain only letters, digits, underscore, dot and hyphen.';
  }
  if (password.length < LIMITS.passwordMinLength) errors.password = `The password must be at least ${LIMITS.passwordMinLength} characters long.`;
  else if (password.length > LIMITS.passwordMaxLength) errors.password = `The password must be at most ${LIMITS.passwordMaxLength} characters long.`;
  else if (confirm !== password) errors.confirm = 'The two passwords do not match.';
  return errors;
}

/**
 * The server-rendered dashboard: landing page, register/login/logout forms and `/dashboard`
 * (devices: add, rename, delete, live presence; API tokens). The dashboard page alone runs one
 * script, the relay's own (live.ts), under a CSP allowing only that; sessions are server-side and
 * referenced by a signed HttpOnly cookie; every state change checks a CSRF token.
 */
export function createDashboardRoutes(options: DashboardOptions = {}): FastifyPluginAsync {
  return async (app) => {
    // Registered by default in app.ts and also passed in routePlugins (tests): the first one wins
    // instead of failing on duplicate routes.
    if (app.hasRoute({ method: 'GET', url: '/dashboard' })) {
      app.log.warn('dashboard routes are already registered; skipping the duplicate');
      return;
    }
    // Encapsulated here; skipped when the root already provides them.
    if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(fastifyFormbody);

    const sessions = new SessionStore(app.clock, options.sessions);
    app.cluster?.shareSessions(sessions); // several instances (issue 15): any of them serves the next page
    const cookies = new DashboardCookies(app.keys.cookie, app.relayConfig.apiEnv);
    const csrf = new CsrfTokens(app.keys.csrf);
    const formOptions = { bodyLimit: DASHBOARD_LIMITS.formBodyBytes };

    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(PAGE_SECURITY_HEADERS);
      // Production sits behind TLS; browsers ignore this header on plain http anyway.
      if (app.relayConfig.apiEnv === 'production') reply.header('strict-transport-security', 'max-age=31536000');
    });

    const sendPage = (reply: FastifyReply, status: number, page: SafeHtml) =>
      reply.code(status).type('text/html; charset=utf-8').send(page.text);

    /** The signed-in user, or null for a missing, forged, expired or logged-out session. */
    const signedIn = (request: FastifyRequest): SignedIn | null => {
      const id = cookies.sessionId(request);
      const session = id === null ? undefined : sessions.get(id);
      if (!session) return null;
      const user = app.auth.findUser(session.userId);
      if (!user) {
        sessions.destroy(session.id);
        return null;
      }
      return {
        session, user,
        header: { username: user.username, csrf: csrf.forSession(session.id) },
        principal: { userId: user.id, username: user.username, via: 'session', tokenId: null, expiresAt: null, sessionId: null },
      };
    };

    const toLogin = (request: FastifyRequest, reply: FastifyReply) => {
      if (request.cookies[SESSION_COOKIE] !== undefined) cookies.clearSession(request, reply);
      return reply.redirect('/login', 303);
    };

    /** Wraps a state-changing dashboard action: session first, then its CSRF token, then the action. */
    const guarded = (action: (request: FastifyRequest, reply: FastifyReply, who: SignedIn) => Promise<unknown>) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const who = signedIn(request);
        if (!who) return toLogin(request, reply);
        if (!CsrfTokens.matches(who.header.csrf, formField(request.body, 'csrf'))) {
          request.log.warn({ event: 'csrf_refused', userId: who.user.id, url: request.url }, 'dashboard CSRF check failed');
          return sendPage(reply, 403, messagePage('Request refused', FORM_EXPIRED, who.header, '/dashboard'));
        }
        return action(request, reply, who);
      };

    /** Pre-login forms: the CSRF token must match this browser's signed form cookie. */
    const formCsrfOk = (request: FastifyRequest): boolean => {
      const nonce = cookies.existingFormNonce(request);
      return nonce !== null && CsrfTokens.matches(csrf.forForm(nonce), formField(request.body, 'csrf'));
    };

    const startSession = (request: FastifyRequest, reply: FastifyReply, userId: number, flash: DashboardSession['flash']) => {
      // A fresh id on every login (no session fixation); any session this browser had ends.
      const previous = cookies.sessionId(request);
      if (previous !== null) sessions.destroy(previous);
      const session = sessions.create(userId);
      session.flash = flash;
      cookies.setSession(request, reply, session.id, sessions.remainingMs(session));
      cookies.clearFormNonce(request, reply);
      return reply.redirect('/dashboard', 303);
    };

    const tooMany = (reply: FastifyReply, error: RelayError) => {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      const wait = error.retryAfterSeconds === undefined ? 'a while' : `${error.retryAfterSeconds} seconds`;
      return sendPage(reply, 429, messagePage('Too many attempts', `Too many attempts. Try again in ${wait}.`, null, '/login'));
    };

    /** The header user for an error page; the error may be the database itself, so never throw. */
    const headerOrNull = (request: FastifyRequest): HeaderUser | null => {
      try {
        return signedIn(request)?.header ?? null;
      } catch {
        return null;
      }
    };

    app.setErrorHandler((error: FastifyError | RelayError, request, reply) => {
      const who = headerOrNull(request);
      if (error instanceof RelayError) {
        if (error.code === 'TOO_MANY_ATTEMPTS' || error.code === 'LOGIN_BUSY') return tooMany(reply, error);
        return sendPage(reply, error.status, messagePage('Something went wrong', error.detail, who, who ? '/dashboard' : '/'));
      }
      const code = (error as FastifyError).code;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendPage(reply, 413, messagePage('Too large', 'The form was too large.', who));
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendPage(reply, 415, messagePage('Unsupported form', 'Send the form from this site.', who));
      if (databaseErrorCode(error) !== null) {
        return sendPage(reply.header('retry-after', '1'), 503, messagePage('Busy', 'The relay is busy. Try again in a moment.', who));
      }
      const status = (error as FastifyError).statusCode ?? 500;
      if (status >= 400 && status < 500) return sendPage(reply, status, messagePage('Bad request', 'The request could not be read.', who));
      request.log.error({ err: error }, 'dashboard error');
      return sendPage(reply, 500, messagePage('Server error', 'Something went wrong on the relay. Try again later.', who));
    });

    app.get(STYLESHEET_PATH, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET));

    app.get('/', async (request, reply) => sendPage(reply, 200, landingPage(signedIn(request)?.header ?? null)));

    app.get('/register', async (request, reply) => {
      if (signedIn(request)) return reply.redirect('/dashboard', 303);
      return sendPage(reply, 200, registerPage({ formCsrf: csrf.forForm(cookies.formNonce(request, reply)) }));
    });

    app.post('/register', formOptions, async (request, reply) => {
      if (!formCsrfOk(request)) return sendPage(reply, 403, messagePage('Request refused', FORM_EXPIRED, null, '/register'));
      const username = (formField(request.body, 'username') ?? '').trim();
      const password = formField(request.body, 'password') ?? '';
      const confirm = formField(request.body, 'confirm') ?? '';
      const formCsrf = csrf.forForm(cookies.formNonce(request, reply));
      const errors = registrationErrors(username, password, confirm);
      if (Object.keys(errors).length > 0) return sendPage(reply, 400, registerPage({ formCsrf, username, errors }));
      try {
        const { user, apiToken } = await app.auth.register(username, password, request.ip);
        request.log.info({ event: 'dashboard_register', userId: user.id }, 'account created from the dashboard');
        return startSession(request, reply, user.id, {
          notice: `Welcome, ${user.username}. Your account is ready.`,
          newToken: { name: 'default', token: apiToken },
        });
      } catch (error) {
        if (!(error instanceof RelayError)) throw error;
        if (error.code === 'USERNAME_TAKEN') {
          return sendPage(reply, 409, registerPage({ formCsrf, username, errors: { username: 'That username is already taken.' } }));
        }
        if (error.code === 'BAD_REQUEST') return sendPage(reply, 400, registerPage({ formCsrf, username, errors: { general: error.detail } }));
        throw error;
      }
    });

    app.get('/login', async (request, reply) => {
      if (signedIn(request)) return reply.redirect('/dashboard', 303);
      return sendPage(reply, 200, loginPage({ formCsrf: csrf.forForm(cookies.formNonce(request, reply)) }));
    });

    app.post('/login', formOptions, async (request, reply) => {
      if (!formCsrfOk(request)) return sendPage(reply, 403, messagePage('Request refused', FORM_EXPIRED, null, '/login'));
      const username = formField(request.body, 'username') ?? '';
      const password = formField(request.body, 'password') ?? '';
      const failed = () => sendPage(reply, 401, loginPage({ formCsrf: csrf.forForm(cookies.formNonce(request, reply)), username, error: LOGIN_FAILED }));
      try {
        // Every attempt goes through the AuthService: its per-account and per-IP throttles apply.
        const user = await app.auth.verifyCredentials(username, password, request.ip);
        request.log.info({ event: 'dashboard_login', userId: user.id }, 'dashboard login');
        return startSession(request, reply, user.id, null);
      } catch (error) {
        if (error instanceof RelayError && error.code === 'INVALID_CREDENTIALS') return failed();
        if (error instanceof RelayError && (error.code === 'TOO_MANY_ATTEMPTS' || error.code === 'LOGIN_BUSY')) return tooMany(reply, error);
        throw error;
      }
    });

    app.get('/logout', async (request, reply) => {
      const who = signedIn(request);
      if (!who) return reply.redirect('/', 303);
      return sendPage(reply, 200, logoutConfirmPage(who.header));
    });

    const live = await registerLiveRoutes(app, {
      sessions,
      signedIn: (request) => {
        const who = signedIn(request);
        return who && { sessionId: who.session.id, principal: who.principal };
      },
    });
    registerCommandRoute(app, {
      live,
      signedIn: (request) => {
        const who = signedIn(request);
        return who && { sessionId: who.session.id, principal: who.principal, csrf: who.header.csrf };
      },
    });

    app.post('/logout', formOptions, guarded(async (request, reply, who) => {
      live.endSession(who.session.id);
      sessions.destroy(who.session.id);
      cookies.clearSession(request, reply);
      return reply.redirect('/', 303);
    }));

    app.get('/dashboard', async (request, reply) => {
      const who = signedIn(request);
      if (!who) return toLogin(request, reply);
      const credentials = new Map(app.credentials.list(who.user.id).map((c) => [c.deviceId, { prefix: c.prefix, createdAt: c.createdAt, lastUsedAt: c.lastUsedAt }]));
      const devices = app.store.listDevices(who.user.id).map((d) => ({
        deviceId: d.deviceId, name: d.name, online: app.hub.deviceSocket(d.deviceId) !== undefined, lastSeenAt: d.lastSeenAt, addedAt: d.addedAt,
        credential: credentials.get(d.deviceId) ?? null,
      }));
      reply.header('content-security-policy', LIVE_PAGE_CSP);
      const names = new Map(app.store.listEndpoints(who.user.id).map((e) => [e.id, e.deviceId === null ? `${e.name || e.kind} (${e.id})` : `${e.name || 'board'} (${e.deviceId})`]));
      const pairings = app.router.pairings.list(who.user.id).map((p) => ({
        id: p.id, host: names.get(p.host_endpoint) ?? p.host_endpoint, client: names.get(p.client_endpoint) ?? p.client_endpoint, createdAt: Date.parse(p.created_at),
      }));
      return sendPage(reply, 200, dashboardPage({
        user: who.header, devices, devicesLimit: who.user.devicesLimit, tokens: app.auth.listApiTokens(who.user.id),
        loginSessions: app.auth.sessions.list(who.user.id), pairings, flash: sessions.takeFlash(who.session),
      }));
    });

    // Issue 14: end a login session (its access tokens and their sockets with it), remove a pairing.
    app.post('/dashboard/sessions/revoke', formOptions, guarded(async (request, reply, who) => {
      const id = formField(request.body, 'session_id', 64);
      if (id === undefined || !/^ls_[0-9a-f]{24}$/.test(id)) return sendPage(reply, 400, messagePage('Bad request', 'No session was selected.', who.header, '/dashboard'));
      app.auth.sessions.revoke(who.user.id, id, 'revoked', request.ip);
      who.session.flash = { notice: 'Session revoked. Connections opened with its tokens were closed.' };
      return reply.redirect('/dashboard', 303);
    }));

    app.post('/dashboard/pairings/remove', formOptions, guarded(async (request, reply, who) => {
      const id = formField(request.body, 'pairing_id', 64);
      if (id === undefined || !/^pr_[0-9a-f]{20}$/.test(id)) return sendPage(reply, 400, messagePage('Bad request', 'No pairing was selected.', who.header, '/dashboard'));
      app.router.pairings.remove(who.user.id, id, request.ip, 'http');
      who.session.flash = { notice: 'Pairing removed.' };
      return reply.redirect('/dashboard', 303);
    }));

    app.post('/dashboard/tokens', formOptions, guarded(async (request, reply, who) => {
      const name = formField(request.body, 'name', LIMITS.tokenNameMaxLength);
      if (name === undefined && formField(request.body, 'name') !== undefined) {
        return sendPage(reply, 400, messagePage('Name too long', `Token names are at most ${LIMITS.tokenNameMaxLength} characters.`, who.header, '/dashboard'));
      }
      const { record, token } = app.auth.createApiToken(who.user.id, (name ?? '').trim());
      request.log.info({ event: 'token_created', userId: who.user.id, tokenId: record.id }, 'api token created from the dashboard');
      who.session.flash = { newToken: { name: record.name, token } };
      return reply.redirect('/dashboard', 303);
    }));

    app.post('/dashboard/tokens/revoke', formOptions, guarded(async (request, reply, who) => {
      const tokenId = formId(request.body, 'token_id');
      if (tokenId === undefined) return sendPage(reply, 400, messagePage('Bad request', 'No token was selected.', who.header, '/dashboard'));
      app.auth.revokeApiToken(who.user.id, tokenId);
      request.log.info({ event: 'token_revoked', userId: who.user.id, tokenId }, 'api token revoked from the dashboard');
      who.session.flash = { notice: 'Token revoked. Connections opened with it were closed.' };
      return reply.redirect('/dashboard', 303);
    }));

    app.post('/dashboard/devices', formOptions, guarded(async (request, reply, who) => {
      const deviceId = (formField(request.body, 'device_id', LIMITS.idMaxLength) ?? '').trim();
      const name = formField(request.body, 'name', LIMITS.endpointNameMaxLength);
      if (!isDeviceId(deviceId)) {
        return sendPage(reply, 400, messagePage('Not a device id', 'A device id is WL followed by the board\'s chip id in upper-case hex, e.g. WL35080814.', who.header, '/dashboard'));
      }
      if (name === undefined && formField(request.body, 'name') !== undefined) {
        return sendPage(reply, 400, messagePage('Name too long', `Names are at most ${LIMITS.endpointNameMaxLength} characters.`, who.header, '/dashboard'));
      }
      app.router.endpoints.register(who.principal, { kind: 'board', name: name ?? '', device_id: deviceId }, who.user.devicesLimit);
      request.log.info({ event: 'dashboard_device_added', userId: who.user.id, deviceId }, 'device added from the dashboard');
      who.session.flash = { notice: `Device ${deviceId} added. Put this relay's URL and an API token in its settings.` };
      return reply.redirect('/dashboard', 303);
    }));

    app.post('/dashboard/devices/rename', formOptions, guarded(async (request, reply, who) => {
      const deviceId = formField(request.body, 'device_id', LIMITS.idMaxLength);
      const name = formField(request.body, 'name', LIMITS.endpointNameMaxLength);
      if (deviceId === undefined || !isDeviceId(deviceId) || name === undefined) {
        return sendPage(reply, 400, messagePage('Bad request', `Choose a device and a name of at most ${LIMITS.endpointNameMaxLength} characters.`, who.header, '/dashboard'));
      }
      await app.router.endpoints.update(who.user.id, deviceId, { name });
      who.session.flash = { notice: `Device ${deviceId} renamed.` };
      return reply.redirect('/dashboard', 303);
    }));

    registerClaimRoutes(app, { guarded, sendPage, formOptions });

    // v1.0 had this path (JSON, cookie-only auth); here it is a form post with a CSRF token.
    app.post('/dashboard/delete_device', formOptions, guarded(async (request, reply, who) => {
      const deviceId = formField(request.body, 'device_id', LIMITS.idMaxLength);
      if (deviceId === undefined) return sendPage(reply, 400, messagePage('Bad request', 'No device was selected.', who.header, '/dashboard'));
      app.relay.deleteDevice(who.principal, deviceId);
      request.log.info({ event: 'dashboard_device_deleted', userId: who.user.id, deviceId }, 'device deleted from the dashboard');
      who.session.flash = { notice: `Device ${deviceId} deleted.` };
      return reply.redirect('/dashboard', 303);
    }));
  };
}

export const dashboardRoutes: FastifyPluginAsync = createDashboardRoutes();
