/**
 * The hub tracks live connections and who is waiting for which device response. Routes and
 * sockets use this interface only, so a multi-instance backplane can implement it later.
 */

/** A live WebSocket peer, independent of the `ws` library. */
export interface PeerSocket {
  readonly id: string;
  readonly userId: number;
  /** API token used to open it (null for JWT), so revoking the token closes the socket. */
  readonly tokenId: number | null;
  /** False when the socket is no longer open (nothing was sent). */
  send(text: string): boolean;
  close(code: number, reason: string): void;
  isOpen(): boolean;
}

/** Who gets the device's next response: a WS client, or the HTTP pull store. */
export type ResponseOrigin = { kind: 'ws'; client: PeerSocket } | { kind: 'http' };

export interface Hub {
  /** Binds the socket to the device; returns the older socket it replaced (newest wins, F12). */
  attachDevice(deviceId: string, socket: PeerSocket): PeerSocket | undefined;
  /** Ignored unless `socket` is still the current one (a replaced socket must not evict its successor). */
  detachDevice(deviceId: string, socket: PeerSocket): void;
  deviceSocket(deviceId: string): PeerSocket | undefined;
  attachClient(socket: PeerSocket): void;
  detachClient(socket: PeerSocket): void;

  /** Response routing: FIFO of outstanding commands per device, across WS and HTTP senders. */
  pushOutstanding(deviceId: string, origin: ResponseOrigin): void;
  shiftOutstanding(deviceId: string): ResponseOrigin | undefined;
  /** Remembers who queued a durable command, so its response can find them after the flush. */
  rememberQueuedOrigin(queueId: number, origin: ResponseOrigin): void;
  takeQueuedOrigin(queueId: number): ResponseOrigin;
  forgetDevice(deviceId: string): void;

  /** Long-poll support: resolves when a response is stored for the device, on timeout, or on abort. */
  waitForResponse(deviceId: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  notifyResponse(deviceId: string): void;

  counts(): { devices: number; clients: number };
  /** Closes every socket matching the predicate (token revoked, device deleted, shutdown). */
  closeWhere(predicate: (socket: PeerSocket) => boolean, code: number, reason: string): void;
  /** Wakes every long-poll so shutdown does not wait for them. */
  releaseWaiters(): void;
}
