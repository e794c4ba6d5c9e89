import type { FastifyPluginAsync } from 'fastify';
import { LIMITS } from '../limits';
import { principalOf } from '../plugins/fastify-types';
import { API_AUTH, AUTH_ERRORS, errors, integer, object, text } from './schemas';

const healthBody = (description: string) => object(description, {
  status: { type: 'string', enum: ['healthy', 'degraded'] }, service: text, timestamp: text, websockets: integer,
  database: { type: 'string', enum: ['ok', 'write_failing', 'error'] }, devices_connected: integer, clients_connected: integer,
  cause: { type: 'string', description: 'Degraded: the last failed write (e.g. SQLITE_FULL, SQLITE_READONLY), until a write succeeds again; or why Redis does not answer' },
  redis: { type: 'string', enum: ['ok', 'error'], description: 'Only with REDIS_URL (several instances): whether this instance reaches Redis' },
  instance: { type: 'string', description: 'Only with REDIS_URL: this instance (INSTANCE_ID)' },
  since: { type: 'string', description: 'Degraded: when writes started failing' },
}, ['status', 'service', 'timestamp', 'websockets', 'database', 'devices_connected', 'clients_connected']);

/** `/api/health` (public, v1.0 fields plus DB and connection counts) and `/api/stats` (authenticated). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/health', {
    schema: {
      tags: ['health'], summary: 'Liveness and database status (no auth)',
      response: { 200: healthBody('Healthy'), 503: healthBody('Degraded: the database does not answer, or refuses writes, or (several instances) Redis does not answer') },
    },
  }, async (_request, reply) => {
    const databaseOk = app.store.healthy();
    // F10: reads may still work on a full or read-only disk; a failed write says more (item 10).
    const writeFailure = app.store.writeFailure();
    // Several instances (issue 15): without Redis this one serves only its own sockets.
    const redisFailure = app.cluster?.failure() ?? null;
    const healthy = databaseOk && writeFailure === null && redisFailure === null;
    const { devices, clients } = app.hub.counts();
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      service: 'WakeLink Cloud Relay',
      timestamp: new Date(app.clock.now()).toISOString(),
      websockets: app.openSockets(),
      database: !databaseOk ? 'error' : writeFailure ? 'write_failing' : 'ok',
      ...(writeFailure ? { cause: `${writeFailure.code}: ${writeFailure.message}`, since: new Date(writeFailure.since).toISOString() } : {}),
      ...(app.cluster ? { redis: redisFailure === null ? 'ok' : 'error', instance: app.cluster.instanceId } : {}),
      ...(redisFailure !== null && !writeFailure ? { cause: `redis: ${redisFailure}` } : {}),
      devices_connected: devices,
      clients_connected: clients,
    });
  });

  // Authenticated (v1.0 S16) and scoped to the caller's own devices, except the global user count.
  app.get('/api/stats', {
    onRequest: app.requireUser,
    schema: {
      tags: ['health'], summary: 'Counts for your devices', security: API_AUTH,
      response: {
        200: object('Counts (v1.0 fields) for your devices; total_users is global', {
          online_devices: integer, total_devices: integer, total_users: integer, queues_to_device: integer, queues_to_client: integer,
          total_queues: integer, websocket_connections: integer, server_time: text, status: { type: 'string', enum: ['running'] },
        }),
        ...errors(...AUTH_ERRORS, 503),
      },
    },
  }, async (request) => {
    const { userId } = principalOf(request);
    const now = app.clock.now();
    const devices = app.store.listDevices(userId);
    const online = devices.filter((d) => app.hub.deviceSocket(d.deviceId) || (d.lastSeenAt !== null && now - d.lastSeenAt < LIMITS.onlineWindowMs)).length;
    const toDevice = app.store.countQueued(userId);
    const toClient = app.store.countResponses(userId);
    const connected = devices.filter((d) => app.hub.deviceSocket(d.deviceId)).length;
    return {
      online_devices: online,
      total_devices: devices.length,
      total_users: app.store.countUsers(),
      queues_to_device: toDevice,
      queues_to_client: toClient,
      total_queues: toDevice + toClient,
      websocket_connections: connected,
      server_time: new Date(now).toISOString(),
      status: 'running',
    };
  });
};
