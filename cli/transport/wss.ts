import WebSocket from 'ws';
import { toHex } from '../../shared/index';
import { nodeCrypto } from '../../node/crypto';
import { CliError, connectionError } from '../errors';
import { checkReply, signatureError } from '../exchange';
import type { DeviceReply, ExchangeOptions } from './types';

/** Relay frames to a client are v1.0 packets and small status objects; refuse anything huge. */
export const MAX_WS_FRAME_BYTES = 64 * 1024;
/** WS close code a v1.0 relay uses for a failed auth (policy violation). */
const CLOSE_POLICY = 1008;
const AUTH_ERRORS = new Set(['AUTH_REQUIRED', 'INVALID_TOKEN', 'INVALID_API_TOKEN', 'UNAUTHORIZED']);
const SKIPPED_TYPES = new Set(['welcome', 'status', 'ping', 'pong', 'ack']);

/** v1.0's client id shape: cli_<device_id>_<8 hex>. */
export function clientIdFor(deviceId: string): string {
  return `cli_${deviceId}_${toHex(nodeCrypto.randomBytes(4))}`;
}

/**
 * Spec 4.3: open /ws/client/{id}, send the auth frame, wait for the welcome, send the packet,
 * then accept the ACK and the reply in either order, matching the reply by request_id.
 */
export function exchangeWss(base: string, apiToken: string, options: ExchangeOptions): Promise<DeviceReply> {
  const { request } = options;
  const url = `${base}/ws/client/${encodeURIComponent(clientIdFor(request.deviceId))}`;
  return new Promise<DeviceReply>((resolve, reject) => {
    let settled = false;
    let welcomed = false;
    const socket = new WebSocket(url, {
      headers: { Authorization: `Bearer ${apiToken}`, 'X-API-Token': apiToken, 'X-Device-ID': request.deviceId },
      maxPayload: MAX_WS_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
    });
    const finish = (error: CliError | undefined, reply?: DeviceReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.progress.stop();
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      else socket.terminate();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(() => {
      const seconds = options.timeoutMs / 1000;
      finish(new CliError('TIMEOUT', welcomed
        ? `no reply from ${request.deviceId} via ${base} within ${seconds} s (is the device online?)`
        : `the relay ${base} did not complete the WebSocket login within ${seconds} s`));
    }, options.timeoutMs);

    socket.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 401 || status === 403) finish(new CliError('RELAY_AUTH', `the relay ${base} refused the API token (HTTP ${status}); run \`wakelink login --relay ...\``));
      else finish(new CliError('RELAY_ERROR', `the relay ${base} refused the WebSocket (HTTP ${status})`));
    });
    socket.on('error', (error) => finish(connectionError(error, base)));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token: apiToken })));
    socket.on('close', (code, reason) => {
      if (!welcomed && code === CLOSE_POLICY) return finish(new CliError('RELAY_AUTH', `the relay ${base} refused the API token (${reason.toString() || 'close 1008'})`));
      finish(new CliError('CONNECTION_ERROR', `the relay ${base} closed the connection (code ${code}${reason.length ? `: ${reason.toString()}` : ''})`));
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return; // Not ours to interpret; keep waiting for a real reply.
      }
      if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return;
      const record = frame as Record<string, unknown>;
      if (typeof record.payload === 'string' && typeof record.signature === 'string') {
        const check = checkReply(request, record);
        if (check.kind === 'match') return finish(undefined, { inner: check.inner, requestCounter: check.requestCounter, via: `wss ${base}` });
        // Every packet of this device is signed with its token: one that fails our check means our token is wrong.
        if (check.kind === 'bad-signature') return finish(signatureError(options.deviceName));
        return;
      }
      if (record.status === 'error') {
        const code = typeof record.error === 'string' ? record.error : 'ERROR';
        const why = typeof record.message === 'string' ? `: ${record.message}` : '';
        if (AUTH_ERRORS.has(code)) return finish(new CliError('RELAY_AUTH', `the relay ${base} refused the API token (${code}${why})`));
        return finish(new CliError('RELAY_ERROR', `the relay ${base} answered ${code}${why}`, { relay: record }));
      }
      if (record.type === 'welcome' && !welcomed) {
        welcomed = true;
        socket.send(JSON.stringify(request.envelope));
        options.progress.start(`waiting for ${options.deviceName} via wss ${base}`);
        return;
      }
      if (record.status === 'success' && 'delivered' in record) {
        if (record.queued === true) {
          return finish(new CliError('QUEUED', `device ${request.deviceId} is offline: the relay queued the command; it runs when the device reconnects (if still fresh)`, { relay: record }));
        }
        return; // ACK; the reply may already be here or still on its way.
      }
      if (typeof record.type === 'string' && SKIPPED_TYPES.has(record.type)) return;
    });
  });
}
