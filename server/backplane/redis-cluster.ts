/**
 * Everything a relay instance needs to be one of several (issue 15), assembled in one place so
 * app.ts only asks for it when REDIS_URL is set: the bus, the Redis backplane, a hub whose
 * "a response was stored" notices reach long polls on every instance, commands forwarded to the
 * board's instance, token revocation closing sockets on every instance, and claim and pairing
 * codes usable from any instance.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { SessionChange, SessionStore } from '../dashboard/sessions';
import type { AuthService } from '../auth/auth-service';
import type { ClaimService } from '../claim/claim-service';
import type { DeviceCredentials } from '../claim/device-credentials';
import { closeCodeFor } from '../errors';
import { LocalHub } from '../hub/local-hub';
import type { RelayService } from '../relay/relay-service';
import type { EndpointConnection } from '../routing/backplane';
import { presenceFrame } from '../routing/frames';
import type { Pairings } from '../routing/pairing';
import type { Store } from '../store/types';
import type { TokenSockets } from '../ws/token-sockets';
import type { Clock } from '../time';
import type { ClusterConfig } from './cluster-config';
import { ClusterCommands } from './redis-commands';
import { RedisBackplane } from './redis-backplane';
import { RedisBus } from './redis-bus';
import { shareCodes } from './redis-codes';
import { shareCounters } from './shared-counters';

/** LocalHub whose stored-response notices also wake long polls on the other instances. */
class ClusterHub extends LocalHub {
  constructor(private readonly bus: RedisBus, backplane: RedisBackplane) {
    super(backplane);
    bus.on('response', (m) => super.notifyResponse(String(m.device)));
  }

  override notifyResponse(deviceId: string): void {
    super.notifyResponse(deviceId);
    this.bus.broadcast({ t: 'response', device: deviceId });
  }
}

export interface Cluster {
  /** The configured INSTANCE_ID; `node` adds a per-start suffix so a restarted instance never gets an old one's answers. */
  readonly instanceId: string;
  readonly node: string;
  readonly backplane: RedisBackplane;
  readonly hub: LocalHub;
  /** Once the services exist. */
  wire(services: {
    relay: RelayService; auth: AuthService; store: Store; clock: Clock; secret: Uint8Array;
    /** Issue 14: a device credential ended, or a login session revoked, closes its sockets on every instance. */
    credentials: DeviceCredentials; tokenSockets: TokenSockets;
    /** Codes live where they were issued; claims and confirmations reach them from any instance. */
    claims: ClaimService; pairings: Pairings;
  }): void;
  /** Dashboard sessions (and their one-time messages) live on every instance, so any instance serves the next page. */
  shareSessions(sessions: SessionStore): void;
  /** Null while Redis answers; else the cause (for /api/health). */
  failure(): string | null;
  close(): Promise<void>;
}

export async function startCluster(config: ClusterConfig & { redisUrl: string }): Promise<Cluster> {
  const node = `${config.instanceId}.${randomBytes(4).toString('hex')}`;
  const bus = new RedisBus({
    url: config.redisUrl, instanceId: node, requestTimeoutMs: config.requestTimeoutMs, instanceTtlMs: config.instanceTtlMs, connectTimeoutMs: config.connectTimeoutMs,
  });
  await bus.start();
  const backplane = new RedisBackplane(bus);
  const hub = new ClusterHub(bus, backplane);
  let sessionKey: Buffer | null = null;
  /** Session ids and one-time messages (a new API token) cross Redis sealed with a key from SECRET_KEY. */
  const seal = (change: SessionChange): string => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sessionKey!, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(change), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  };
  const open = (box: string): SessionChange | null => {
    try {
      const bytes = Buffer.from(box, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', sessionKey!, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')) as SessionChange;
    } catch {
      return null; // not sealed with our key: ignored
    }
  };
  return {
    shareSessions(sessions) {
      if (!sessionKey) throw new Error('cluster.wire() first');
      sessions.shareWith((change) => bus.broadcast({ t: 'session', box: seal(change) }));
      bus.on('session', (m) => {
        const change = typeof m.box === 'string' ? open(m.box) : null;
        if (change) sessions.applyShared(change);
      });
    },
    instanceId: config.instanceId,
    node,
    backplane,
    hub,
    wire({ relay, auth, store, clock, secret, credentials, tokenSockets, claims, pairings }) {
      sessionKey = createHmac('sha256', secret).update('wakelink cluster dashboard sessions v1').digest();
      new ClusterCommands(bus, backplane, store, relay);
      // Commands queued by other instances while Redis was away never reached their "flush" notice:
      // once it is back, every instance writes what waits for the boards connected to it.
      const flushBoard = (conn: EndpointConnection) => {
        if (conn.deviceId === null || !conn.peer.isOpen()) return;
        try {
          relay.flushQueue(conn.deviceId);
        } catch {
          // The database is away: the board gets its commands at the next flush (reconnect, push).
        }
      };
      const flushLocalBoards = () => {
        for (const conn of backplane.localConnections()) flushBoard(conn);
      };
      // Now, and again once the other instances have surely written their presence and sent their notices.
      bus.onReady(() => {
        flushLocalBoards();
        for (const delay of [1500, 4000]) setTimeout(flushLocalBoards, delay).unref();
      });
      // A dead instance's queue claims (PostgreSQL) go back to the queue, and boards that reconnected here get them now.
      bus.onInstanceDead((instance) => {
        const claims = store as Store & { releaseClaims?: (node: string) => number };
        try {
          claims.releaseClaims?.(instance);
        } catch {
          // The database is away too: the claims' leases run out by themselves.
        }
        flushLocalBoards();
      });
      // An endpoint whose instance died is offline: its subscribers anywhere hear it.
      backplane.setHooks({
        onRemoteGone: (who) => backplane.fanOut(who, presenceFrame(who.endpointId, who.deviceId, who.kind, false, clock.now())),
        // A command another instance queued while it could not yet find this board (its registration
        // was not written yet) got no flush notice: the board's queue is read once more now.
        onRegistered: flushBoard,
      });
      // Login, registration and token throttles, claim budgets and claim/pairing-code failures count
      // attempts from every instance (each applies the others' changes).
      shareCounters(bus, { ...auth.throttles(), ...claims.budgets(), claim_codes: claims.codes, pairing_codes: pairings.codes });
      // Claim and pairing codes issued on one instance are claimed and confirmed on any.
      shareCodes(bus, secret, claims, pairings);
      const closeTokenSockets = (tokenId: number) => hub.closeWhere((socket) => socket.tokenId === tokenId, closeCodeFor('TOKEN_REVOKED'), 'token revoked');
      auth.onTokenRevoked((tokenId) => bus.broadcastEventually({ t: 'revoke', token: tokenId }));
      bus.on('revoke', (m) => {
        const tokenId = Number(m.token);
        auth.forgetRevokedToken(tokenId);
        closeTokenSockets(tokenId);
      });
      credentials.onCredentialEnded((deviceId) => bus.broadcastEventually({ t: 'credential_ended', device: deviceId }));
      bus.on('credential_ended', (m) => {
        if (typeof m.device === 'string') credentials.closeSockets(m.device, true);
      });
      // A session revoked here (logout, reuse, eviction, the dashboard) ends on every instance; the
      // store already says so, this drops the cached principals and closes the sockets at once.
      auth.sessions.onRevoked((sessionId) => bus.broadcastEventually({ t: 'session_revoked', session: sessionId }));
      bus.on('session_revoked', (m) => {
        if (typeof m.session !== 'string') return;
        auth.forgetRevokedSession(m.session);
        tokenSockets.closeSession(m.session, closeCodeFor('SESSION_REVOKED'), 'session revoked');
      });
    },
    failure: () => bus.failure(),
    close: () => bus.close(),
  };
}
