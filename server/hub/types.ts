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

/**
 * Who sent an HTTP push or is pulling, so a reply goes to the client whose command it answers
 * (issue 12 item 6; v1.0 B13). Plain values: nothing here keeps a socket alive.
 */
export interface HttpRequester {
  /** The client's address (X-Forwarded-For behind a trusted proxy). */
  readonly address: string;
  /** The keep-alive connection it came on, or null behind a proxy (whose upstream connections are shared). */
  readonly connection: number | null;
  /** The `client_id` body field the v1.0 CLI sends with its pushes, when given. */
  readonly clientId: string | null;
}

/** A device response handed straight to a waiting HTTP long poll (never stored), or held in memory. */
export interface HandedReply {
  deviceId: string;
  payload: string;
  signature: string;
  requestCounter: number | null;
  createdAt: number;
  /** The HTTP client whose command it answers; null when unknown (F14, after a restart, WS sender gone). */
  requester: HttpRequester | null;
}

/**
 * Who gets the device's response: a WS client, or HTTP pulling (by the requester when known). A WS
 * client that sent a routing-protocol `command` frame (issue 13) gets it wrapped as a `response`
 * frame naming the board (`routed`); a v1.0 packet sender gets the bare packet.
 */
export type ResponseOrigin =
  | {
    kind: 'ws'; client: PeerSocket; routed?: { from: string; id: string | undefined };
    /** Sent here by another instance, which waits for the answer (bounded): nothing may delay it. */
    forwarded?: true;
  }
  | { kind: 'http'; requester: HttpRequester | null };

/** The response origin when nothing is known: any pull of the device's owner may take the reply. */
export const UNKNOWN_ORIGIN: ResponseOrigin = { kind: 'http', requester: null };

/** A command written to a device socket whose response has not come yet (F4). */
export interface InFlight {
  /** Its durable queue row, or null for a command forwarded live (tracked in memory only). */
  queueId: number | null;
  /** The exact frame sent, so a re-send carries the same bytes. */
  frame: string;
  origin: ResponseOrigin;
  /** The command's signature: how its sender recognises it in an `expired`/`undelivered` notice. */
  signature: string;
  /** Socket it was last written to: a device answers in order on each connection. */
  socketId: string;
  /** Times it has been written to a device socket. */
  attempts: number;
  expiresAt: number;
}

/**
 * v1.0 command correlation: which commands are in flight on which device socket, who queued what,
 * and the HTTP long polls waiting. Which sockets are connected is the routing core's backplane
 * (routing/backplane.ts); the hub reads device sockets and counts from it.
 */
export interface Hub {
  /** The device's open socket on this instance (its board endpoint's connection). */
  deviceSocket(deviceId: string): PeerSocket | undefined;
  /** A client socket closed: its queued and in-flight commands' replies go to HTTP pulling instead (F5). */
  forgetClient(socket: PeerSocket): void;

  /**
   * Response routing: in-flight commands per device, in the order they were written, across WS
   * and HTTP senders. Returns the oldest entry dropped to keep the per-device bound, if any.
   */
  trackInFlight(deviceId: string, entry: InFlight): InFlight | undefined;
  /** Removes and returns the oldest entry written to `socketId`: the one a response from it answers. */
  takeInFlight(deviceId: string, socketId: string): InFlight | undefined;
  /** The device's in-flight entries, oldest first (live objects: a re-send updates them). */
  inFlight(deviceId: string): readonly InFlight[];
  removeInFlight(deviceId: string, entry: InFlight): void;
  /** Drops expired entries that are not on the device's current socket; returns them with their device. */
  sweepInFlight(now: number): { deviceId: string; entry: InFlight }[];
  /** Remembers who queued a durable command, so its response (or its fate) can find them after the flush. */
  rememberQueuedOrigin(deviceId: string, queueId: number, origin: ResponseOrigin): void;
  takeQueuedOrigin(deviceId: string, queueId: number): ResponseOrigin;
  /** Origins of the device's queued commands not yet written to it. */
  queuedOrigins(deviceId: string): Iterable<ResponseOrigin>;
  /** Forgets the device's in-flight entries and queued origins; returns what it forgot. */
  forgetDevice(deviceId: string): { inFlight: InFlight[]; queued: ResponseOrigin[] };

  /**
   * Long-poll support: resolves with a reply handed over by `handReply`, or with undefined when a
   * response was stored for the device (`notifyResponse`), on timeout, or on abort. `puller`
   * says who is waiting, for `handReply`'s choice.
   */
  waitForResponse(deviceId: string, timeoutMs: number, signal: AbortSignal | undefined, puller: HttpRequester): Promise<HandedReply | undefined>;
  /**
   * Gives the reply to the waiting long poll `choose` picks from the device's waiters (oldest
   * first; -1 for none); false when none is picked.
   */
  handReply(reply: HandedReply, choose: (waiters: readonly HttpRequester[]) => number): boolean;
  notifyResponse(deviceId: string): void;

  counts(): { devices: number; clients: number };
  /** Closes every socket matching the predicate (token revoked, device deleted, shutdown). */
  closeWhere(predicate: (socket: PeerSocket) => boolean, code: number, reason: string): void;
  /** Wakes every long-poll so shutdown does not wait for them. */
  releaseWaiters(): void;
}
