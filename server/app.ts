import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { AuthService, type ThrottleBudgets } from './auth/auth-service';
import { createJwtIssuer } from './auth/jwt';
import { deriveKeys } from './auth/keys';
import type { RelayConfig } from './config';
import { LocalHub } from './hub/local-hub';
import type { Hub } from './hub/types';
import { LIMITS } from './limits';
import { lazyChildLoggerFactory } from './lazy-child-logger';
import { loggerOptions } from './logger';
import { installErrorHandling } from './plugins/error-handler';
import { installRequestLogging } from './plugins/request-log';
import './plugins/fastify-types';
import { createRequireUser } from './plugins/require-user';
import { RelayService } from './relay/relay-service';
import type { Backplane } from './routing/backplane';
import { LocalBackplane } from './routing/local-backplane';
import { Router } from './routing/router';
import { ClaimService } from './claim/claim-service';
import { DeviceCredentials } from './claim/device-credentials';
import { authRoutes } from './routes/auth';
import { claimRoutes } from './routes/claim';
import { deviceRoutes } from './routes/devices';
import { endpointRoutes } from './routes/endpoints';
import { pairingRoutes } from './routes/pairings';
import { docsPlugin } from './routes/docs';
import { healthRoutes } from './routes/health';
import { relayRoutes } from './routes/relay';
import { tokenRoutes } from './routes/tokens';
import { sessionRoutes } from './routes/sessions';
import { dashboardRoutes } from './routes/dashboard';
import { startCluster, type Cluster } from './backplane/redis-cluster';
import { createPostgresStore } from './store/postgres/postgres-store';
import { createSqliteStore } from './store/sqlite-store';
import type { Store } from './store/types';
import { systemClock, type Clock } from './time';
import { closeCodeFor } from './errors';
import { attachWebSockets, type WsOptions } from './ws/upgrade';
import { TokenSockets } from './ws/token-sockets';
import { compileTrust } from './net/client-address';

export interface BuildOptions {
  config: RelayConfig;
  /** Defaults to pino at `config.logLevel` with redaction; tests pass false. */
  logger?: FastifyServerOptions['logger'];
  clock?: Clock;
  /** Another Store implementation; defaults to SQLite at `config.databaseFile`. */
  store?: Store;
  /** Connection state of the routing core; defaults to the in-process LocalBackplane. */
  backplane?: Backplane;
  hub?: Hub;
  ws?: Partial<WsOptions>;
  throttle?: Partial<ThrottleBudgets>;
  /**
   * Extra encapsulated route plugins registered after the shared services exist — the place for
   * `routes/dashboard.ts` (server-rendered pages using `app.auth`, `app.store`, `app.keys.cookie`).
   */
  routePlugins?: FastifyPluginAsync[];
}

/** Builds the relay (HTTP routes, WebSocket endpoints, services). Never listens: main.ts does. */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  // One rule for request.ip and WebSocket upgrades (TRUST_PROXY).
  const trustProxy = compileTrust(config.trustProxy);
  const app = Fastify({
    trustProxy,
    logger: options.logger ?? loggerOptions(config.logLevel),
    bodyLimit: config.limits.httpBodyBytes,
    // One line per error or slow request instead (plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // …so a request's own pino child is built only if it logs (lazy-child-logger.ts).
    childLoggerFactory: lazyChildLoggerFactory,
    // Closes idle keep-alive sockets on shutdown so close() is not held by them.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Fastify's defaults plus union types (`["string","number"]`) in schemas.
    ajv: { customOptions: { allowUnionTypes: true } },
  });
  // Several instances (issue 15): Redis first, so a bad REDIS_URL fails the start before anything opens.
  const cluster: Cluster | null = config.cluster?.redisUrl ? await startCluster({ ...config.cluster, redisUrl: config.cluster.redisUrl }) : null;
  let store: Store;
  try {
    store = options.store ?? (config.cluster?.databaseUrl
      ? createPostgresStore({
        url: config.cluster.databaseUrl, node: cluster?.node ?? `${config.cluster.instanceId}.${randomBytes(4).toString('hex')}`,
        queryTimeoutMs: config.cluster.pgQueryTimeoutMs, connectTimeoutMs: config.cluster.pgConnectTimeoutMs, claimLeaseMs: config.cluster.pgClaimLeaseMs,
      })
      : createSqliteStore(config.databaseFile));
  } catch (error) {
    await cluster?.close();
    throw error;
  }
  const backplane = options.backplane ?? cluster?.backplane ?? new LocalBackplane();
  const hub = options.hub ?? cluster?.hub ?? new LocalHub(backplane);
  const keys = deriveKeys(config.secretKey);
  const {
    loginWindowMs, loginFailuresPerAccount, loginFailuresPerIp, registrationsPerIp, tokenFailuresPerIp, passwordHashConcurrency, passwordHashQueue,
  } = config.limits;
  const auth = new AuthService(store, createJwtIssuer(keys.jwt, config.jwtTtlSeconds, clock), clock, config.deviceLimit, {
    loginWindowMs, loginFailuresPerAccount, loginFailuresPerIp, registrationsPerIp, tokenFailuresPerIp, passwordHashConcurrency, passwordHashQueue,
    ...options.throttle,
  }, {
    refreshTtlMs: config.limits.refreshTokenTtlMs, sessionMaxAgeMs: config.limits.sessionMaxAgeMs,
    sessionsPerAccount: config.limits.sessionsPerAccount, historyMaxEntries: config.limits.historyMaxEntries,
  });
  const tokenSockets = new TokenSockets(clock, config.limits.tokenExpirySweepMs);
  const relay = new RelayService(store, hub, clock, {
    queueTtlMs: config.queueTtlMs, queueCap: config.queueCap, inFlightRowDelayMs: config.inFlightRowDelayMs,
    replyRowDelayMs: config.replyRowDelayMs, parkedReplies: config.limits.parkedReplies,
    // Other instances' clients pull from the same store (issue 15).
    sharedStore: cluster !== null || Boolean(config.cluster?.databaseUrl),
  });
  const { limits } = config;
  const router = new Router({
    store, hub, relay, backplane, clock, log: app.log, sharedDatabase: cluster !== null,
    limits: {
      eventContentBytes: limits.eventContentBytes, messageContentBytes: limits.messageContentBytes, subscriptionsPerSocket: limits.subscriptionsPerSocket,
      messageTtlMs: limits.messageTtlMs, messageQueueCap: limits.messageQueueCap, messagesInFlight: limits.messagesInFlight,
      eventsPerSecond: limits.eventsPerSecond, eventBurst: limits.eventBurst, historyMaxEntries: limits.historyMaxEntries,
      historyMaxAgeMs: limits.historyMaxAgeMs, endpointsPerAccount: limits.endpointsPerAccount,
      pairingCodeTtlMs: limits.pairingCodeTtlMs, pairingCodesPerAccount: limits.pairingCodesPerAccount,
      pairingFailuresPerAccount: limits.pairingFailuresPerAccount, pairingFailuresPerAddress: limits.pairingFailuresPerAddress,
      pairingFailuresGlobal: limits.pairingFailuresGlobal, pairingFailuresPerCode: limits.pairingFailuresPerCode,
    },
  });

  app.decorate('relayConfig', config);
  app.decorate('store', store);
  app.decorate('hub', hub);
  app.decorate('auth', auth);
  app.decorate('relay', relay);
  app.decorate('router', router);
  app.decorate('backplane', backplane);
  app.decorate('keys', keys);
  app.decorate('clock', clock);
  app.decorate('requireUser', createRequireUser(auth));
  app.decorateRequest('principal', null);

  const credentials = new DeviceCredentials(store, auth, clock, config.limits.historyMaxEntries);
  const claims = new ClaimService(store, credentials, clock, app.log, {
    codeTtlMs: limits.claimCodeTtlMs, socketTimeoutMs: limits.claimSocketTimeoutMs, socketsPerIp: limits.claimSocketsPerIp,
    socketsTotal: limits.claimSocketsTotal, socketFrames: LIMITS.claimSocketFrames, attemptsPerAccount: limits.claimAttemptsPerAccount,
    attemptsPerIp: limits.claimAttemptsPerIp, attemptsPerMinute: limits.claimAttemptsPerMinute, codeMaxFailures: limits.claimCodeMaxFailures,
  });
  app.decorate('credentials', credentials);
  app.decorate('claims', claims);

  const gateway = attachWebSockets(app.server, { store, hub, relay, router, auth, clock, log: app.log, tokenSockets, claims, credentials }, {
    maxPayloadBytes: config.limits.wsMaxFrameBytes,
    clientFrameCeilingBytes: config.limits.wsClientFrameCeilingBytes,
    maxBufferedBytes: config.limits.wsSendBufferBytes,
    messagesPerSecond: config.limits.wsMessagesPerSecond,
    messageBurst: config.limits.wsMessageBurst,
    deviceFrames: {
      messagesPerSecond: config.limits.deviceMessagesPerSecond,
      messageBurst: config.limits.deviceMessageBurst,
      unsolicitedBurst: config.limits.deviceUnsolicitedBurst,
      unsolicitedDropsBeforeClose: config.limits.deviceUnsolicitedDropsBeforeClose,
    },
    ...options.ws,
    allowedOrigins: config.allowedOrigins,
    trustProxy,
    authTimeoutMs: options.ws?.authTimeoutMs ?? LIMITS.wsAuthTimeoutMs,
    pingIntervalMs: options.ws?.pingIntervalMs ?? LIMITS.wsPingIntervalMs,
    maxConnectionsPerIp: options.ws?.maxConnectionsPerIp ?? config.limits.wsConnectionsPerIp,
    extraConnectionsPerUser: options.ws?.extraConnectionsPerUser ?? config.limits.wsExtraConnectionsPerUser,
  });
  app.decorate('openSockets', () => gateway.openSockets());
  app.decorate('cluster', cluster);
  cluster?.wire({ relay, auth, store, clock, secret: config.secretKey, credentials, tokenSockets, claims, pairings: router.pairings });
  auth.onTokenRevoked((tokenId) => hub.closeWhere((socket) => socket.tokenId === tokenId, closeCodeFor('TOKEN_REVOKED'), 'token revoked'));
  auth.sessions.onRevoked((sessionId, reason) => {
    const closed = tokenSockets.closeSession(sessionId, closeCodeFor('SESSION_REVOKED'), 'session revoked');
    app.log.info({ event: 'session_revoked', sessionId, reason, socketsClosed: closed }, 'login session revoked');
  });
  // One sweep for every socket opened with an access JWT (B17), not a timer each.
  const expirySweeper = setInterval(() => {
    const closed = tokenSockets.sweep(closeCodeFor('TOKEN_EXPIRED'), 'token expired');
    if (closed > 0) app.log.debug({ event: 'jwt_sockets_expired', closed }, 'sockets of expired access tokens closed');
  }, config.limits.tokenExpirySweepMs);
  expirySweeper.unref();

  const sweeper = setInterval(() => {
    try {
      router.sweep();
      auth.sessions.prune();
    } catch (error) {
      app.log.error({ err: error }, 'queue sweep failed');
    }
  }, LIMITS.sweepIntervalMs);
  sweeper.unref();

  // Shutdown (C6): refuse new upgrades, close sockets with 1012, release long polls, then
  // commit pending queue writes, checkpoint and close the database.
  app.addHook('preClose', async () => {
    gateway.shutdown();
    relay.shutdown();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    clearInterval(expirySweeper);
    await store.close();
    await cluster?.close();
  });

  installErrorHandling(app);
  installRequestLogging(app);
  await app.register(docsPlugin);
  await app.register(authRoutes);
  await app.register(tokenRoutes);
  await app.register(sessionRoutes);
  await app.register(deviceRoutes);
  await app.register(relayRoutes);
  await app.register(endpointRoutes);
  await app.register(pairingRoutes);
  await app.register(claimRoutes);
  await app.register(healthRoutes);
  await app.register(dashboardRoutes);
  for (const plugin of options.routePlugins ?? []) await app.register(plugin);
  return app;
}
