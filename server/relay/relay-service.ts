import { RelayError, closeCodeFor } from '../errors';
import type { Principal } from '../auth/auth-service';
import type { Hub, ResponseOrigin } from '../hub/types';
import { LIMITS } from '../limits';
import type { DeviceRecord, Store, StoredResponse } from '../store/types';
import type { Clock } from '../time';
import { clientFrame, deviceFrame, type RelayPacket } from './packets';

export interface RelayPolicy {
  queueTtlMs: number;
  queueCap: number;
}

export interface SubmitResult {
  delivered: boolean;
  queued: boolean;
}

/**
 * The relay's routing rules on top of the store and the hub. Blind: it moves payload/signature
 * text around and never derives keys or decrypts.
 */
export class RelayService {
  private closing = false;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly clock: Clock,
    private readonly policy: RelayPolicy,
  ) {}

  /** The caller's device, or DEVICE_NOT_FOUND — identical for missing and foreign ids (B14/B15). */
  ownedDevice(principal: Principal, deviceId: string): DeviceRecord {
    const device = this.store.findDevice(deviceId);
    if (!device || device.userId !== principal.userId) throw new RelayError('DEVICE_NOT_FOUND');
    return device;
  }

  /** Forwards to the live device socket, or queues durably; resolves after the queue row is on disk. */
  async submitCommand(principal: Principal, packet: RelayPacket, origin: ResponseOrigin): Promise<SubmitResult> {
    this.ownedDevice(principal, packet.deviceId);
    const frame = deviceFrame(packet);
    if (Buffer.byteLength(frame) > LIMITS.deviceFrameBytes) {
      throw new RelayError('PACKET_TOO_LARGE', `Frames to devices are limited to ${LIMITS.deviceFrameBytes} bytes`);
    }
    const socket = this.hub.deviceSocket(packet.deviceId);
    if (socket && socket.send(frame)) {
      this.hub.pushOutstanding(packet.deviceId, origin);
      return { delivered: true, queued: false };
    }
    const result = await this.store.enqueue(packet, this.clock.now(), this.policy.queueTtlMs, this.policy.queueCap);
    if (!result.ok) {
      if (result.reason === 'queue_full') throw new RelayError('QUEUE_FULL', `Device queue full (${this.policy.queueCap} commands)`);
      if (result.reason === 'device_missing') throw new RelayError('DEVICE_NOT_FOUND');
      throw new RelayError('QUEUE_UNAVAILABLE', undefined, 1);
    }
    this.hub.rememberQueuedOrigin(result.id, origin);
    // The device may have connected while this insert waited for its group commit.
    if (this.hub.deviceSocket(packet.deviceId)) this.flushQueue(packet.deviceId);
    return { delivered: false, queued: true };
  }

  /** Sends the device its live queued commands in order (called after the welcome frame, B14). */
  flushQueue(deviceId: string): number {
    const socket = this.hub.deviceSocket(deviceId);
    if (!socket) return 0;
    const sent: number[] = [];
    for (const command of this.store.pendingFor(deviceId, this.clock.now())) {
      if (!socket.send(deviceFrame(command))) break;
      sent.push(command.id);
      this.hub.pushOutstanding(deviceId, this.hub.takeQueuedOrigin(command.id));
    }
    this.store.remove(sent);
    return sent.length;
  }

  /** A device's response goes to the sender of the oldest outstanding command, else to HTTP pull storage. */
  handleDeviceResponse(device: DeviceRecord, packet: RelayPacket): 'ws' | 'stored' {
    const origin = this.hub.shiftOutstanding(device.deviceId);
    const frame = { ...packet, deviceId: device.deviceId };
    const toClient = origin?.kind === 'ws' && origin.client.userId === device.userId && origin.client.send(clientFrame(frame));
    // Bookkeeping only: a locked or full database must not stop live forwarding (F9, F10).
    try {
      this.store.touchDevice(device.deviceId, this.clock.now(), packet.requestCounter);
    } catch {
      // last_seen stays stale; the response itself was handled above or is stored below
    }
    if (toClient) return 'ws';
    this.store.storeResponse(frame, this.clock.now(), this.policy.queueTtlMs, LIMITS.storedResponsesPerDevice);
    this.hub.notifyResponse(device.deviceId);
    return 'stored';
  }

  /** Long poll: returns as soon as responses exist (woken by `notifyResponse`), or at the deadline. */
  async pull(principal: Principal, deviceId: string, waitMs: number, signal?: AbortSignal): Promise<StoredResponse[]> {
    this.ownedDevice(principal, deviceId);
    const deadline = this.clock.now() + Math.min(Math.max(0, waitMs), LIMITS.pullMaxWaitMs);
    for (;;) {
      const responses = this.store.takeResponses(deviceId, this.clock.now(), LIMITS.pullMaxMessages);
      if (responses.length > 0) {
        this.store.addPolls(deviceId, 1);
        return responses;
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || signal?.aborted || this.closing) return [];
      await this.hub.waitForResponse(deviceId, remaining, signal);
      // The device may have been deleted, or ownership checked again, while we slept.
      if (!this.store.findDevice(deviceId)) return [];
    }
  }

  /** Shutdown: pending long polls return now (empty) instead of holding the close. */
  shutdown(): void {
    this.closing = true;
    this.hub.releaseWaiters();
  }

  /** Deletes the device (queue and responses cascade) and closes its socket. */
  deleteDevice(principal: Principal, deviceId: string): void {
    this.ownedDevice(principal, deviceId);
    if (!this.store.deleteDevice(principal.userId, deviceId)) throw new RelayError('DEVICE_NOT_FOUND');
    const socket = this.hub.deviceSocket(deviceId);
    socket?.close(closeCodeFor('DEVICE_DELETED'), 'device deleted');
    this.hub.forgetDevice(deviceId);
    this.hub.notifyResponse(deviceId);
  }
}
