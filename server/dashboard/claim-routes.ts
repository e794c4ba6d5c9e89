import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/auth-service';
import { RelayError } from '../errors';
import { isDeviceId } from '../relay/packets';
import type { UserRecord } from '../store/types';
import { formField } from './forms';
import type { SafeHtml } from './html';
import type { HeaderUser } from './layout';
import { messagePage } from './pages';
import type { DashboardSession } from './sessions';

interface Who { session: DashboardSession; user: UserRecord; header: HeaderUser; principal: Principal }
type Guarded = (action: (request: FastifyRequest, reply: FastifyReply, who: Who) => Promise<unknown>) => (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Dashboard actions of issue 14, behind the dashboard's session + CSRF guard: claim a board with
 * its code, and revoke or rotate a board's credential (rotate = revoke, then claim its new code).
 */
export function registerClaimRoutes(app: FastifyInstance, deps: {
  guarded: Guarded;
  sendPage(reply: FastifyReply, status: number, page: SafeHtml): unknown;
  formOptions: { bodyLimit: number };
}): void {
  const { guarded, sendPage, formOptions } = deps;
  const refused = (reply: FastifyReply, who: Who, error: RelayError) => {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    const text = error.code === 'TOO_MANY_ATTEMPTS' ? `Too many claim attempts. Try again in ${error.retryAfterSeconds ?? 60} seconds.` : error.detail;
    return sendPage(reply, error.status, messagePage('Not claimed', text, who.header, '/dashboard'));
  };

  app.post('/dashboard/claim', formOptions, guarded(async (request, reply, who) => {
    const code = formField(request.body, 'code', 16) ?? '';
    const name = formField(request.body, 'name', 64);
    if (name === undefined && formField(request.body, 'name') !== undefined) {
      return sendPage(reply, 400, messagePage('Name too long', 'Names are at most 64 characters.', who.header, '/dashboard'));
    }
    try {
      const result = await app.claims.claim(who.principal, code, (name ?? '').trim(), request.ip, who.user.devicesLimit);
      who.session.flash = { notice: `Board ${result.deviceId} ${result.created ? 'claimed' : 're-claimed'}. It now connects with its own credential.` };
      return reply.redirect('/dashboard', 303);
    } catch (error) {
      if (error instanceof RelayError && error.status < 500) return refused(reply, who, error);
      throw error;
    }
  }));

  for (const action of ['revoke', 'rotate'] as const) {
    app.post(`/dashboard/credentials/${action}`, formOptions, guarded(async (request, reply, who) => {
      const deviceId = formField(request.body, 'device_id', 64);
      if (deviceId === undefined || !isDeviceId(deviceId)) return sendPage(reply, 400, messagePage('Bad request', 'No device was selected.', who.header, '/dashboard'));
      try {
        app.credentials.revoke(who.user.id, deviceId, request.ip);
      } catch (error) {
        if (error instanceof RelayError && error.status < 500) return refused(reply, who, error);
        throw error;
      }
      request.log.info({ event: 'credential_revoked', userId: who.user.id, deviceId, via: 'dashboard', action }, 'device credential revoked');
      who.session.flash = {
        notice: action === 'rotate'
          ? `The credential of ${deviceId} was revoked and the board disconnected. It now shows a new claim code: enter it under “Claim a board” to give it its new credential.`
          : `The credential of ${deviceId} was revoked and the board disconnected. It stays offline until you claim it again.`,
      };
      return reply.redirect('/dashboard', 303);
    }));
  }
}
