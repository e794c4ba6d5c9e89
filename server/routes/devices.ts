import type { FastifyPluginAsync } from 'fastify';
import { RelayError } from '../errors';
import { principalOf } from '../plugins/fastify-types';
import { isDeviceId } from '../relay/packets';
import type { DeviceRecord, RegisterOutcome } from '../store/types';
import { naiveIso } from '../time';
import { API_AUTH, AUTH_ERRORS, BODY_ERRORS, boolean, deviceIdSchema, errors, integer, naiveTimestamp, object, text } from './schemas';

const deviceId = deviceIdSchema;
const anyText = { type: 'string', maxLength: 512 } as const;
const security = API_AUTH;
const nullableTimestamp = { ...naiveTimestamp, type: ['string', 'null'] } as const;
const statusWord = (word: string) => ({ type: 'string', enum: [word] }) as const;
const seen = (ms: number | null) => (ms === null ? null : naiveIso(ms));

/** Maps a store outcome to errors: a foreign id is a clear 409, the limit a 403 (never a 500, B11). */
function assertRegistered(outcome: RegisterOutcome, limit: number): void {
  if (outcome === 'taken') throw new RelayError('DEVICE_TAKEN');
  if (outcome === 'limit') throw new RelayError('DEVICE_LIMIT', `Device limit: maximum ${limit}`);
}

/**
 * v1.0 device management routes (spec 4.6) with their exact paths and reply shapes. A
 * `device_token` sent by old clients is accepted and discarded: never stored, never returned (S1).
 */
export const deviceRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', app.requireUser);
  const limitOf = (userId: number) => app.store.findUserById(userId)?.devicesLimit ?? app.relayConfig.deviceLimit;
  const ownedOr404 = (userId: number, id: string, detail: string): DeviceRecord => {
    const device = app.store.findDevice(id);
    if (!device || device.userId !== userId) throw new RelayError('DEVICE_NOT_FOUND', detail);
    return device;
  };

  app.post<{ Body: { device_id: string; device_data?: { name?: string } } }>('/api/register_device', {
    schema: {
      tags: ['devices'], summary: 'Register a device id to your account (v1.0)', security,
      body: {
        type: 'object', required: ['device_id'],
        properties: { device_id: deviceId, device_data: { type: ['object', 'null'], properties: { name: { type: 'string', maxLength: 64 }, device_token: anyText } } },
      },
      response: {
        200: object('Registered (a `device_token` sent by old clients is discarded, never returned)', { status: statusWord('device_registered'), device_id: text, mode: statusWord('cloud') }),
        ...errors(...AUTH_ERRORS, 403, 409, ...BODY_ERRORS, 503),
      },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const limit = limitOf(principal.userId);
    const name = request.body.device_data?.name ?? '';
    const outcome = app.store.registerDevice(principal.userId, request.body.device_id, name, limit, app.clock.now());
    assertRegistered(outcome, limit);
    return { status: 'device_registered', device_id: request.body.device_id, mode: 'cloud' };
  });

  app.post<{ Body: { device_id: string } }>('/api/delete_device', {
    schema: {
      tags: ['devices'], summary: 'Delete a device (v1.0)', security, body: { type: 'object', required: ['device_id'], properties: { device_id: anyText } },
      response: { 200: object('Deleted with its queue; its socket is closed', { status: statusWord('device_deleted'), message: text }), ...errors(...AUTH_ERRORS, 404, ...BODY_ERRORS, 503) },
    },
  }, async (request) => {
    app.relay.deleteDevice(principalOf(request), request.body.device_id);
    return { status: 'device_deleted', message: `Device ${request.body.device_id} deleted` };
  });

  const deviceEntry = object('A device', {
    device_id: text, cloud: boolean, online: { type: 'boolean', description: 'a device socket is open now' },
    last_seen: nullableTimestamp, poll_count: integer, added: naiveTimestamp,
  });
  app.get('/api/devices', {
    schema: {
      tags: ['devices'], summary: 'List your devices (v1.0 shape)', security,
      response: {
        200: object('Your devices', { user: text, plan: text, devices_limit: integer, devices_count: integer, devices: { type: 'array', items: deviceEntry } }),
        ...errors(...AUTH_ERRORS, 503),
      },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const user = app.store.findUserById(principal.userId);
    const devices = app.store.listDevices(principal.userId);
    return {
      user: principal.username,
      plan: user?.plan ?? 'basic',
      devices_limit: user?.devicesLimit ?? app.relayConfig.deviceLimit,
      devices_count: devices.length,
      devices: devices.map((d) => ({
        device_id: d.deviceId, cloud: true, online: app.hub.deviceSocket(d.deviceId) !== undefined,
        last_seen: seen(d.lastSeenAt), poll_count: d.pollCount, added: naiveIso(d.addedAt),
      })),
    };
  });

  const idAndToken = { type: 'object', properties: { device_id: anyText, device_token: anyText, version: { type: ['string', 'number', 'null'] } } } as const;
  const requireIdAndToken = (body: { device_id?: string; device_token?: string } | undefined | null): string => {
    if (!body?.device_id || !body.device_token) throw new RelayError('BAD_REQUEST', 'device_id and device_token required');
    return body.device_id;
  };

  app.post<{ Body: { device_id?: string; device_token?: string } }>('/api/device/create', {
    schema: {
      tags: ['devices'], summary: 'Create a device (v1.0; the token is discarded)', security, body: idAndToken,
      response: { 200: object('Created', { status: statusWord('ok'), device_id: text }), ...errors(400, ...AUTH_ERRORS, ...BODY_ERRORS, 503) },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const id = requireIdAndToken(request.body);
    if (!isDeviceId(id)) throw new RelayError('BAD_REQUEST', 'invalid device_id');
    const limit = limitOf(principal.userId);
    // v1.0 answers every create failure with 400 and a text; we keep that status, with clear texts.
    try {
      assertRegistered(app.store.registerDevice(principal.userId, id, '', limit, app.clock.now()), limit);
    } catch (error) {
      if (error instanceof RelayError) throw new RelayError('BAD_REQUEST', error.detail);
      throw error;
    }
    return { status: 'ok', device_id: id };
  });

  app.get<{ Querystring: { device_id: string } }>('/api/device/', {
    schema: {
      tags: ['devices'], summary: 'One device (v1.0)', security, querystring: { type: 'object', required: ['device_id'], properties: { device_id: anyText } },
      response: { 200: object('The device', { device_id: text, cloud: boolean, last_seen: nullableTimestamp }), ...errors(...AUTH_ERRORS, 404, 422, 503) },
    },
  }, async (request) => {
    const device = ownedOr404(principalOf(request).userId, request.query.device_id, 'device not found');
    return { device_id: device.deviceId, cloud: true, last_seen: seen(device.lastSeenAt) };
  });

  app.put<{ Body: { device_id?: string; device_token?: string } }>('/api/device/update', {
    schema: {
      tags: ['devices'], summary: 'Update a device (v1.0; the token is discarded)', security, body: idAndToken,
      response: { 200: object('Unchanged: the relay keeps no device token', { status: statusWord('ok'), device_id: text }), ...errors(400, ...AUTH_ERRORS, 404, ...BODY_ERRORS, 503) },
    },
  }, async (request) => {
    const id = requireIdAndToken(request.body);
    ownedOr404(principalOf(request).userId, id, 'device not found');
    return { status: 'ok', device_id: id };
  });

  app.delete<{ Body: { device_id?: string; device_token?: string } }>('/api/device/delete', {
    schema: {
      tags: ['devices'], summary: 'Delete a device (v1.0)', security, body: idAndToken,
      response: { 200: object('Deleted', { status: statusWord('device_deleted'), device_id: text }), ...errors(400, ...AUTH_ERRORS, 404, ...BODY_ERRORS, 503) },
    },
  }, async (request) => {
    const id = requireIdAndToken(request.body);
    const principal = principalOf(request);
    ownedOr404(principal.userId, id, 'device not found');
    app.relay.deleteDevice(principal, id);
    return { status: 'device_deleted', device_id: id };
  });
};
