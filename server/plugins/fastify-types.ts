import type { onRequestAsyncHookHandler } from 'fastify';
// Brings in the `tags`/`summary`/`security` route-schema typings used for /docs.
import type {} from '@fastify/swagger';
import type { AuthService, Principal } from '../auth/auth-service';
import type { ClaimService } from '../claim/claim-service';
import type { DeviceCredentials } from '../claim/device-credentials';
import type { Cluster } from '../backplane/redis-cluster';
import type { DerivedKeys } from '../auth/keys';
import type { RelayConfig } from '../config';
import type { Hub } from '../hub/types';
import type { RelayService } from '../relay/relay-service';
import type { Backplane } from '../routing/backplane';
import type { Router } from '../routing/router';
import type { Store } from '../store/types';
import type { Clock } from '../time';

/**
 * Shared services, decorated on the root instance so every route plugin (including the future
 * server-rendered dashboard in routes/dashboard.ts) reaches them the same way.
 */
declare module 'fastify' {
  interface FastifyInstance {
    relayConfig: RelayConfig;
    store: Store;
    hub: Hub;
    auth: AuthService;
    relay: RelayService;
    /** The one routing core (issue 13): every socket frame and v1.0 push goes through it. */
    router: Router;
    backplane: Backplane;
    /** Several instances on Redis (issue 15); null for one process. */
    cluster: Cluster | null;
    keys: DerivedKeys;
    clock: Clock;
    /** Claiming boards with a code, and their per-device credentials (issue 14). */
    claims: ClaimService;
    credentials: DeviceCredentials;
    /** onRequest hook: API token (Bearer / X-API-Token) or JWT; sets `request.principal` or answers 401. */
    requireUser: onRequestAsyncHookHandler;
    /** Open WebSocket count (device + client + still authenticating). */
    openSockets(): number;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Long polls are slow by design: request-log.ts does not report them as slow requests. */
    longPoll?: boolean;
  }
}

/** Narrows `request.principal` in handlers that run behind `requireUser`. */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (!request.principal) throw new Error('requireUser preHandler missing on this route');
  return request.principal;
}
