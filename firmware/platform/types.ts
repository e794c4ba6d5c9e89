/**
 * The platform seam: everything the firmware logic needs from the outside world, as small
 * callback-based interfaces. The logic in firmware/ imports only these types (and shared/);
 * `firmware/platform/moddable/` implements them on the board, `sim/` implements them for Node and
 * for XS under Node, and `test/firmware/helpers` implements them in memory.
 *
 * Contract, common to every interface:
 * - No Promises, no Node types. Bytes are `Uint8Array` (adapters copy out of ArrayBuffer / Buffer),
 *   text is `string`. Binary data handed to a callback belongs to the receiver; the adapter must
 *   not reuse the buffer afterwards.
 * - Callbacks are never invoked synchronously from inside the call that registered them
 *   (`listen`, `connect`, `connectStation`, ...) — always from a later turn of the event loop.
 * - Callbacks never throw into the adapter: the logic catches its own errors. Adapters should
 *   still guard calls with try/catch so a logic bug cannot abort the XS VM.
 * - After the logic calls `close()` on something, no further callback fires for it, and
 *   `close()` is idempotent.
 * - Adapters never log secrets; neither does the logic (tokens, passwords, API tokens), with one
 *   deliberate exception: on the very first boot the logic prints a provisioning banner (device
 *   token and setup password, lines starting with "PROVISION") once, because the serial console is
 *   how the owner learns them. It is never repeated on later boots.
 */
import type { CryptoBackend } from '../../shared/index';

export type { CryptoBackend };

/** Opaque timer handle; only ever passed back to the same `Timers` object. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** One accepted TCP connection. */
export interface TcpConnection {
  /** Peer address as text (IPv4 dotted or IPv6), '' when unknown. */
  readonly remoteAddress: string;
  /**
   * Queues bytes for sending. Writes after the peer is gone are silently dropped (the adapter
   * must not throw). Text is sent as UTF-8.
   */
  write(data: Uint8Array | string): void;
  /** Sends whatever was written (best effort), then closes (FIN). Idempotent; no handler fires after it. */
  close(): void;
}

/** What the logic hands back for each accepted connection. */
export interface TcpConnectionHandler {
  /** A chunk arrived (any split: one byte, half a line, several lines). */
  data(chunk: Uint8Array): void;
  /**
   * The peer finished sending (FIN), reset the connection, or the socket failed. Fires at most
   * once. Writing may or may not still reach the peer; the logic still calls `close()`.
   */
  end(): void;
}

export interface TcpListener {
  /** Stops accepting; connections already accepted stay open until the logic closes them. */
  close(): void;
}

export interface TcpServerFactory {
  /**
   * Listens on `port` on all interfaces. `accept` runs once per new connection and must return
   * the handler for it; to refuse a connection, call `connection.close()` and return a handler
   * that ignores everything. Throws if the port cannot be bound.
   */
  listen(port: number, accept: (connection: TcpConnection) => TcpConnectionHandler): TcpListener;
}

export interface UdpSocket {
  /** Sends one datagram. Throws on an immediate failure (bad address, no route, no buffer). */
  send(data: Uint8Array, address: string, port: number): void;
  close(): void;
}

export interface UdpFactory {
  /** Opens a send-only UDP socket, bound to `localPort` when given (0 / undefined = any). */
  open(localPort?: number): UdpSocket;
}

/** What a probe found: the host answered (a connection, or a refusal), or nothing answered in time. */
export type ProbeState = 'up' | 'down';

export interface Probe {
  /** Stops waiting; `done` does not fire afterwards. Idempotent. */
  cancel(): void;
}

export interface TcpProber {
  /**
   * Opens a TCP connection to `host:port` (an IPv4 address or a name the LAN resolves) to learn
   * whether a computer is awake, and closes it at once. `done('up')` when it connects or is
   * refused (a refusal comes from a running host), `done('down')` when nothing answers within
   * `timeoutMs` or there is no route. `done` fires exactly once, never synchronously.
   */
  probe(host: string, port: number, timeoutMs: number, done: (state: ProbeState) => void): Probe;
}

export interface WebSocketClientOptions {
  /** Full URL, `ws://` or `wss://`, already built by the logic (spec 4.2 rules). */
  url: string;
  /** Extra upgrade headers, in order, as [name, value] pairs. */
  headers: Array<[string, string]>;
  /** Sec-WebSocket-Protocol to offer, if any. */
  protocol?: string;
  /** For wss: verify the server certificate (default true). Only `false` when configured insecure. */
  verifyTls: boolean;
}

export interface WebSocketHandlers {
  /** Handshake completed; `send` may be used from now on. */
  open(): void;
  /** One complete text frame. Binary frames are dropped by the adapter. */
  message(text: string): void;
  /** A pong (or, where pongs are invisible, any ping/pong control frame) was received. */
  pong(): void;
  /** Fires exactly once: connection failed, handshake refused, peer closed, or transport error. */
  close(): void;
}

export interface WebSocketClient {
  /** Sends one text frame. Dropped (no throw) if the connection is not open. */
  send(text: string): void;
  /** Sends a ping control frame. Returns false when the platform cannot send pings. */
  ping(): boolean;
  /** Closes; the `close` handler does NOT fire for a close the logic asked for. */
  close(): void;
}

export interface WebSocketFactory {
  connect(options: WebSocketClientOptions, handlers: WebSocketHandlers): WebSocketClient;
}

/**
 * Persistent key-value store (Moddable Preference). Keys: at most 15 characters of [a-z0-9_].
 * Values: strings of at most 63 characters (ESP8266 preference limit); the logic splits longer
 * values itself. `set` is a flash write: the logic batches frequent updates.
 */
export interface KeyValueStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
}

export type WifiMode = 'STA' | 'AP';

export interface Network {
  /** Station IPv4 address, '0.0.0.0' when not connected. */
  ip(): string;
  /** SSID of the joined network, '' when not connected. In AP mode: '' too. */
  ssid(): string;
  /** Signal strength in dBm, 0 when unknown. */
  rssi(): number;
  mode(): WifiMode;
  /** Chip id as an unsigned integer (ESP8266: 24-bit chip id; ESP32: low 32 bits of the eFuse MAC). */
  chipId(): number;
  freeHeap(): number;
  /** Joins a Wi-Fi network; `done(true)` once an IP address is obtained, `done(false)` on failure or timeout. */
  connectStation(ssid: string, password: string, done: (ok: boolean) => void): void;
  /** Switches to soft-AP mode (drops the station link); `done(ip)` with the AP address once up. */
  startAccessPoint(ssid: string, password: string, done: (ip: string) => void): void;
  /** Station link lost after a successful connect (at most one call per `connectStation`). */
  onStationLost(callback: () => void): void;
}

export interface Clock {
  /** Milliseconds since boot, monotonic. */
  uptimeMs(): number;
  /** Unix time in seconds, or `undefined` until SNTP (or the host) has set the clock. */
  nowSeconds(): number | undefined;
}

export interface RandomSource {
  /** Bytes from the hardware RNG (or the host CSPRNG). */
  bytes(length: number): Uint8Array;
}

export interface System {
  /** Reboots. Never returns on the board; the simulator restarts the device logic. */
  restart(): void;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  /** One line to the serial console (see the provisioning exception at the top of this file). */
  log(level: LogLevel, message: string): void;
}

/** Everything `startDevice` is handed. */
export interface Platform {
  tcp: TcpServerFactory;
  udp: UdpFactory;
  /** Wake confirmation and target status: only ever pointed at a configured target. */
  probe: TcpProber;
  websocket: WebSocketFactory;
  timers: Timers;
  store: KeyValueStore;
  network: Network;
  clock: Clock;
  random: RandomSource;
  system: System;
  logger: Logger;
  crypto: CryptoBackend;
}

/** Board profile: picks bounds that fit the RAM of each target. */
export type DeviceProfile = 'esp8266' | 'esp32' | 'host';

/** Start-up options; every field has a default, so `{}` is valid. */
export interface DeviceOptions {
  profile?: DeviceProfile;
  /** LAN command port (v1.0: 99). The simulator passes a free port of its own. */
  lanPort?: number;
  /** Setup page port (v1.0: 80). */
  httpPort?: number;
  /** Where magic packets go (board default 255.255.255.255:9; tests and sim: 127.0.0.1 capture port). */
  wolAddress?: string;
  wolPort?: number;
  /** Local UDP port magic packets are sent from (v1.0: 9; 0 = any). */
  wolLocalPort?: number;
  /** Build-time defaults (mcconfig key=value); stored config always wins. */
  defaults?: {
    ssid?: string;
    password?: string;
    relayUrl?: string;
    apiToken?: string;
    /** Verify the relay's TLS certificate (default true). */
    tlsVerify?: boolean;
  };
}

export type CloudStatus = 'connected' | 'disconnected' | 'disabled';

export interface DeviceStatus {
  deviceId: string;
  /** 'booting' until Wi-Fi has either joined (STA) or fallen back to setup mode (AP). */
  mode: 'booting' | 'STA' | 'AP';
  cloudStatus: CloudStatus;
  requestCounter: number;
  lanConnections: number;
}

export interface DeviceHandle {
  /** Closes listeners, sockets and timers and flushes the counter; the platform can then be reused. */
  stop(): void;
  status(): DeviceStatus;
}

/** Signature of `startDevice` in firmware/device.ts. */
export type StartDevice = (platform: Platform, options?: DeviceOptions) => DeviceHandle;
