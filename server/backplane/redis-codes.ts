/**
 * Claim codes and pairing codes across instances (issue 15). A code lives in the memory of the
 * instance that issued it, next to the socket or endpoint it belongs to; what Redis holds is a
 * reservation per live code:
 *
 *   wl:code:{kind}:{HMAC(key from SECRET_KEY, kind:scope:code)} = "{node}|{random}"  PX = the code's TTL
 *
 * - SET only if absent (a Lua compare-and-set, so re-reserving our own code after a reconnect is
 *   fine): two instances can never hold the same live code, so a code names one board (one host).
 * - The key is an HMAC, not the code: whoever reads Redis' keys learns neither codes nor near misses,
 *   and cannot list the million keys of the code space without SECRET_KEY. Its lookup is a hash
 *   lookup of an HMAC, so its timing says nothing about how close a guess came; the comparison
 *   that decides stays the holder's constant-time one (codes.ts, one-time-codes.ts).
 * - The value names the holder, so a claim entered anywhere is one GET and one bus request away
 *   from the instance holding the code, which runs the claim itself: the device credential is
 *   made and sent to the board there and never crosses Redis; only the (display) prefix comes back.
 *   Single use is the holder's: it alone takes the code, one claim after the other. The guess
 *   itself travels in that request, on pub/sub (not stored): a deployment whose Redis link others
 *   can read uses TLS (`rediss://`) and Redis ACLs, as for every other bus message.
 * - Freed with a compare-and-delete (only our own reservation), when the code is used, burned,
 *   expired or its socket closes; a dead instance's reservations are dropped by whoever finds one.
 * - Redis away: codes are issued and claimed on their own instance only; a code of another
 *   instance is answered SERVICE_UNAVAILABLE (bounded by REDIS_REQUEST_TIMEOUT_MS); once Redis is
 *   back every instance reserves its live codes again (a Redis restart loses them).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { CodeReservations, Reservation } from '../auth/code-reservations';
import type { ClaimService, ClaimResult } from '../claim/claim-service';
import { RelayError, type RelayErrorCode } from '../errors';
import { PAIRING_CODES_TOTAL, type Pairings } from '../routing/pairing';
import type { RedisBus } from './redis-bus';

const RESERVE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Reservations of one kind of code; remembers the token of each of its own live reservations. */
export class RedisCodeReservations implements CodeReservations {
  private readonly tokens = new Map<string, string>();

  constructor(private readonly bus: RedisBus, private readonly hmacKey: Buffer, private readonly kind: 'claim' | 'pair', private readonly maxCodes: number) {}

  async reserve(code: string, ttlMs: number): Promise<Reservation> {
    const key = this.key(code);
    const token = this.tokens.get(key) ?? `${this.bus.instanceId}|${randomBytes(8).toString('hex')}`;
    if (!this.bus.commandsReady()) return 'unavailable';
    // Set before the answer, so a release sent right after (same connection, in order) frees it.
    if (this.tokens.size < this.maxCodes || this.tokens.has(key)) this.tokens.set(key, token);
    try {
      const set = await this.bus.redis.eval(RESERVE, 1, key, token, String(Math.max(1, Math.ceil(ttlMs))));
      if (set === 1) return 'ok';
      if (this.tokens.get(key) === token) this.tokens.delete(key);
      return 'taken';
    } catch {
      return 'unavailable';
    }
  }

  release(code: string): void {
    const key = this.key(code);
    const token = this.tokens.get(key);
    if (token === undefined) return;
    this.tokens.delete(key);
    this.drop(key, token);
  }

  /**
   * The live instance holding the code: its node; null when none does (or only this one, or a dead
   * one: its stale reservation is dropped); undefined when Redis does not answer.
   */
  async holder(code: string): Promise<string | null | undefined> {
    if (!this.bus.commandsReady()) return undefined;
    const key = this.key(code);
    let value: string | null;
    try {
      value = await this.bus.redis.get(key);
    } catch {
      return undefined;
    }
    if (value === null) return null;
    const node = value.slice(0, value.lastIndexOf('|'));
    if (node === this.bus.instanceId) return null;
    if ((await this.bus.aliveAmong([node])).has(node)) return node;
    this.drop(key, value);
    return null;
  }

  private drop(key: string, token: string): void {
    if (this.bus.commandsReady()) this.bus.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }

  private key(code: string): string {
    return `wl:code:${this.kind}:${createHmac('sha256', this.hmacKey).update(`${this.kind}:${code}`).digest('base64url')}`;
  }
}

type Refusal = { error: RelayErrorCode; detail?: string };
type ClaimAnswer = { claimed: ClaimResult } | { none: true } | Refusal;

const refusal = (error: unknown): Refusal => (error instanceof RelayError ? { error: error.code, detail: error.detail } : { error: 'SERVICE_UNAVAILABLE' });

/** Wires claims and pairings to the bus: reservations, remote claims and takes, client-cache notices. */
export function shareCodes(bus: RedisBus, secret: Uint8Array, claims: ClaimService, pairings: Pairings): void {
  const hmacKey = createHmac('sha256', secret).update('wakelink cluster code reservations v1').digest();
  const claimKeys = new RedisCodeReservations(bus, hmacKey, 'claim', claims.maxLiveCodes());
  const pairKeys = new RedisCodeReservations(bus, hmacKey, 'pair', PAIRING_CODES_TOTAL);
  const pairCode = (scope: string, code: string) => `${scope}:${code}`;

  claims.codes.reserveWith(claimKeys);
  claims.claimElsewhere(async (request) => {
    const node = await claimKeys.holder(request.code);
    if (node === undefined) return 'unreachable';
    if (node === null) return null;
    const answer = (await bus.request(node, { t: 'claim', ...request })) as ClaimAnswer | null | undefined;
    if (!answer) return 'unreachable';
    if ('claimed' in answer) return answer.claimed;
    if ('none' in answer) return null;
    throw new RelayError(answer.error, answer.detail);
  });
  bus.on('claim', (m): ClaimAnswer => {
    const { userId, code, name, ip, deviceLimit } = m;
    if (typeof userId !== 'number' || typeof code !== 'string' || typeof name !== 'string' || typeof ip !== 'string' || typeof deviceLimit !== 'number') return { none: true };
    try {
      const claimed = claims.claimHere({ userId, code, name, ip, deviceLimit });
      return claimed ? { claimed } : { none: true };
    } catch (error) {
      return refusal(error);
    }
  });

  pairings.codes.onRemoved((scope, code) => pairKeys.release(pairCode(scope, code)));
  pairings.joinCluster({
    reserve: (scope, code, ttlMs) => pairKeys.reserve(pairCode(scope, code), ttlMs),
    async takeElsewhere(scope, code, clientEndpoint) {
      const node = await pairKeys.holder(pairCode(scope, code));
      if (node === undefined) return 'unreachable';
      if (node === null) return null;
      const answer = await bus.request(node, { t: 'pair_take', scope, code, client: clientEndpoint });
      if (answer === undefined) return 'unreachable';
      return typeof answer === 'string' ? answer : null;
    },
    clientsChanged: (host) => bus.broadcastEventually({ t: 'pair_clients', host }),
  });
  bus.on('pair_take', (m) => {
    if (typeof m.scope !== 'string' || typeof m.code !== 'string' || typeof m.client !== 'string') return null;
    const client = m.client;
    return pairings.codes.take(m.scope, m.code, (host) => host !== client);
  });
  bus.on('pair_clients', (m) => {
    if (typeof m.host === 'string') pairings.forgetClients(m.host);
  });

  // Redis back (possibly restarted, its keys gone): our live codes are reserved again.
  bus.onReady(() => {
    claims.codes.reserveAgain();
    for (const { scope, code, ttlMs } of pairings.codes.liveCodes()) {
      void pairKeys.reserve(pairCode(scope, code), ttlMs).then((outcome) => {
        if (outcome === 'taken') pairings.codes.withdraw(scope, code);
      });
    }
  });
}
