/**
 * Device side of the relay WebSocket (spec 4.2): auth headers and auth frame, status-frame
 * filtering as v1.0 does it, packets answered on the same socket, heartbeat, and reconnects with
 * exponential backoff plus jitter. TLS certificates are verified unless configured otherwise (S9).
 */
import { CLOUD_HEARTBEAT_MS, CLOUD_MAX_FRAME_CHARS, CLOUD_MAX_MISSED_PONGS, CLOUD_PONG_TIMEOUT_MS } from '../constants';
import type { HandledPacket } from '../packet-handler';
import type { Clock, CloudStatus, Logger, RandomSource, TimerHandle, Timers, WebSocketClient, WebSocketFactory } from '../platform/types';
import { Backoff } from './backoff';
import { claimEndpoint, CREDENTIAL_REVOKED, parseClaimFrame } from './claim';
import { buildRelayEndpoint } from './url';

export interface CloudSettings {
  relayUrl: string;
  /** The account API token of a v1.0-style set-up; '' when the board has a credential or claims one. */
  apiToken: string;
  /** The board's own device credential (issue 14); '' until it is claimed. */
  credential: string;
  tlsVerify: boolean;
}

/** What the link tells the device about its credential. */
export interface CredentialKeeper {
  /** The relay handed over a credential on the claim socket: store it (the link then reconnects as the device). */
  credentialReceived(credential: string): void;
  /** The relay says the stored credential was revoked: forget it (the link then claims again). */
  credentialRevoked(): void;
}

export interface CloudLinkOptions {
  websocket: WebSocketFactory;
  timers: Timers;
  random: RandomSource;
  logger: Logger;
  clock: Clock;
  deviceId: string;
  responder: { handle(text: string, transport: 'ws'): HandledPacket };
  credentials: CredentialKeeper;
}

/** v1.0's test for a relay status frame: mentions "status" and carries no packet. */
export function isStatusFrame(text: string): boolean {
  return text.includes('"status"') && !text.includes('"payload"');
}

function describeStatusFrame(text: string): string {
  try {
    const frame = JSON.parse(text) as { type?: unknown; error?: unknown; status?: unknown };
    const label = typeof frame.error === 'string' ? frame.error : typeof frame.type === 'string' ? frame.type : frame.status;
    return String(label).slice(0, 40);
  } catch {
    return 'unparsable status frame';
  }
}

export class CloudLink {
  private client: WebSocketClient | null = null;
  private running = false;
  private connected = false;
  private reconnectTimer: TimerHandle | null = null;
  private heartbeatTimer: TimerHandle | null = null;
  private pongTimer: TimerHandle | null = null;
  private missedPongs = 0;
  private readonly backoff: Backoff;
  private settings: CloudSettings = { relayUrl: '', apiToken: '', credential: '', tlsVerify: true };
  /** The code the relay gave for claiming this board, while it has none of its own. */
  private claim: { code: string; expiresAt: number } | null = null;
  /** Connection attempts since boot, for diagnostics and leak tests. */
  attempts = 0;

  constructor(private readonly options: CloudLinkOptions) {
    this.backoff = new Backoff(options.random);
  }

  /** While claiming, the link is up but the board is not yet anyone's: v1.0 clients see 'disconnected'. */
  get status(): CloudStatus {
    if (!this.running) return 'disabled';
    return this.connected && !this.claiming ? 'connected' : 'disconnected';
  }

  /** No credential and no account token: the link runs on the claim socket. */
  get claiming(): boolean {
    return this.running && !this.settings.credential && !this.settings.apiToken;
  }

  /** The current claim code, if one was given and has not expired (`nowMs` is uptime). */
  claimCode(nowMs: number): string | undefined {
    return this.claiming && this.claim && this.claim.expiresAt > nowMs ? this.claim.code : undefined;
  }

  /** Starts (or restarts) the link; stays 'disabled' when the URL is empty or invalid. */
  start(settings: CloudSettings): void {
    this.stop();
    this.settings = settings;
    const endpoint = buildRelayEndpoint(settings.relayUrl, this.options.deviceId);
    if (typeof endpoint === 'string') {
      if (settings.relayUrl.length > 0) this.options.logger.log('warn', `cloud: ${endpoint}`);
      return;
    }
    this.running = true;
    this.backoff.reset();
    this.connect();
  }

  /** Stops for good; `graceMs` lets a reply just handed to the socket leave first (B6). */
  stop(graceMs = 0): void {
    this.running = false;
    this.clearTimers();
    const client = this.client;
    this.client = null;
    this.connected = false;
    if (!client) return;
    if (graceMs > 0) this.options.timers.setTimeout(() => client.close(), graceMs);
    else client.close();
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (!this.running) return;
    const device = buildRelayEndpoint(this.settings.relayUrl, this.options.deviceId);
    if (typeof device === 'string') return;
    const endpoint = this.claiming ? claimEndpoint(device, this.options.deviceId) : device;
    const { apiToken, credential, tlsVerify } = this.settings;
    const headers: Array<[string, string]> = credential
      ? [['Authorization', `Bearer ${credential}`], ['X-Device-ID', this.options.deviceId]]
      : apiToken ? [['X-API-Token', apiToken], ['X-Device-ID', this.options.deviceId]] : [];
    this.attempts++;
    this.options.logger.log('info', `cloud: connecting to ${endpoint.secure ? 'wss' : 'ws'}://${endpoint.host}:${endpoint.port}${endpoint.path}`);
    let client: WebSocketClient | null = null;
    const current = (): boolean => client !== null && this.client === client;
    try {
      client = this.options.websocket.connect(
        { url: endpoint.url, headers, verifyTls: tlsVerify || !endpoint.secure },
        {
          open: () => current() && this.opened(),
          message: (text) => current() && this.received(text),
          pong: () => current() && this.alive(),
          close: () => current() && this.lost('connection closed'),
        },
      );
    } catch (error) {
      this.options.logger.log('warn', `cloud: connect failed: ${String(error)}`);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
  }

  private opened(): void {
    this.connected = true;
    this.missedPongs = 0;
    const token = this.settings.credential || this.settings.apiToken;
    if (token) this.client?.send(JSON.stringify({ type: 'auth', token }));
    this.heartbeatTimer = this.options.timers.setInterval(() => this.heartbeat(), CLOUD_HEARTBEAT_MS);
  }

  private received(text: string): void {
    this.alive();
    if (text.length > CLOUD_MAX_FRAME_CHARS) {
      this.options.logger.log('warn', `cloud: dropped a ${text.length}-character frame`);
      return;
    }
    if (this.claiming) return this.claimFrame(text);
    if (isStatusFrame(text)) {
      const label = describeStatusFrame(text);
      if (text.includes(`"${CREDENTIAL_REVOKED}"`) && this.settings.credential) {
        this.options.logger.log('warn', 'cloud: the relay revoked this board\'s credential; claiming again');
        this.options.credentials.credentialRevoked();
        return;
      }
      if (text.includes('"error"')) {
        this.lost(`relay error ${label}`);
        return;
      }
      if (text.includes('"welcome"')) this.backoff.reset();
      this.options.logger.log('info', `cloud: relay says ${label}`);
      return;
    }
    const handled = this.options.responder.handle(text, 'ws');
    this.backoff.reset();
    if (handled.later) {
      // Answered on the link it came on, if that is still up when the reply is ready.
      const client = this.client;
      handled.later((reply) => {
        if (client !== null && this.client === client) client.send(reply);
      });
      return;
    }
    this.client?.send(handled.text);
    if (handled.after) handled.after();
  }

  /**
   * Publishes an event (a sealed envelope, which the relay routes without reading) to the
   * clients that follow this board. Dropped when the link is down: LAN clients ask instead.
   */
  publish(event: string, envelope: string): void {
    if (!this.connected || !this.client) return;
    this.client.send(`{"type":"event","event":${JSON.stringify(event)},"content":${envelope}}`);
  }

  private claimFrame(text: string): void {
    const frame = parseClaimFrame(text);
    if (!frame) return;
    if (frame.kind === 'code') {
      this.claim = { code: frame.code, expiresAt: this.options.clock.uptimeMs() + frame.expiresInSeconds * 1000 };
      this.backoff.reset();
      // The one place the code is shown besides the setup page: the owner reads it here.
      this.options.logger.log('info', `CLAIM code=${frame.code} (valid ${Math.round(frame.expiresInSeconds / 60)} min): enter it in the relay's dashboard or run \`wakelink claim ${frame.code}\``);
      return;
    }
    this.claim = null;
    this.options.logger.log('info', 'cloud: claimed; connecting with this board\'s own credential');
    this.options.credentials.credentialReceived(frame.credential);
  }

  private alive(): void {
    this.missedPongs = 0;
    if (this.pongTimer !== null) this.options.timers.clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private heartbeat(): void {
    if (!this.client || this.pongTimer !== null) return;
    if (!this.client.ping()) return; // platform cannot ping: rely on the transport noticing a dead peer
    this.pongTimer = this.options.timers.setTimeout(() => {
      this.pongTimer = null;
      this.missedPongs++;
      if (this.missedPongs >= CLOUD_MAX_MISSED_PONGS) this.lost('heartbeat timed out');
    }, CLOUD_PONG_TIMEOUT_MS);
  }

  private lost(reason: string): void {
    this.options.logger.log('warn', `cloud: ${reason}`);
    const client = this.client;
    this.client = null;
    this.connected = false;
    this.clearTimers();
    client?.close();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer !== null) return;
    const delay = this.backoff.next();
    this.options.logger.log('info', `cloud: reconnecting in ${delay} ms`);
    this.reconnectTimer = this.options.timers.setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    const { timers } = this.options;
    if (this.reconnectTimer !== null) timers.clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer !== null) timers.clearInterval(this.heartbeatTimer);
    if (this.pongTimer !== null) timers.clearTimeout(this.pongTimer);
    this.reconnectTimer = this.heartbeatTimer = this.pongTimer = null;
  }
}
