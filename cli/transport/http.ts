import { CliError } from '../errors';
import { checkReply, signatureError } from '../exchange';
import { callRelay, expectOk } from '../relay-client';
import type { DeviceReply, ExchangeOptions } from './types';

/** The relay caps a long poll at 30 s (spec 4.5). */
export const MAX_PULL_WAIT_S = 30;
/** Extra HTTP time on top of `wait`, for the relay to answer once the wait ends. */
export const PULL_HTTP_MARGIN_MS = 5_000;
/** Pull requests per exchange, whatever the timeout: a hard bound on the loop. */
export const MAX_PULLS = 64;

interface PulledMessage {
  device_id?: unknown;
  payload?: unknown;
  packet?: unknown;
  signature?: unknown;
  request_counter?: unknown;
}

/**
 * Spec 4.5: POST /api/push, then long-poll POST /api/pull until our reply arrives. Messages for
 * other requests are skipped (the relay may hand us anything stored for this device).
 */
export async function exchangeHttp(base: string, apiToken: string, options: ExchangeOptions): Promise<DeviceReply> {
  const { request } = options;
  const deadline = Date.now() + options.timeoutMs;
  const pushed = expectOk(await callRelay(base, {
    method: 'POST',
    path: '/api/push',
    bearer: apiToken,
    body: { ...request.envelope, direction: 'to_device' },
    timeoutMs: options.timeoutMs,
  }), 'push to the relay');
  if (pushed.queued === true || pushed.delivered_via_ws === false) {
    throw new CliError('QUEUED', `device ${request.deviceId} is offline: the relay queued the command; it runs when the device reconnects (if still fresh)`, { relay: pushed });
  }

  options.progress.start(`waiting for ${options.deviceName} via http ${base}`);
  try {
    for (let pulls = 0; pulls < MAX_PULLS; pulls++) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) break;
      // The relay long-polls in whole seconds (v1.0 clients send integers): a last remainder under
      // one second is slept off and then checked with one instant pull, so the wait is the full --timeout.
      const waitS = Math.min(MAX_PULL_WAIT_S, Math.floor(remainingMs / 1000));
      if (waitS === 0) await new Promise((resolve) => setTimeout(resolve, remainingMs));
      const pulled = expectOk(await callRelay(base, {
        method: 'POST',
        path: '/api/pull',
        bearer: apiToken,
        body: { device_id: request.deviceId, direction: 'to_client', wait: waitS },
        timeoutMs: waitS * 1000 + PULL_HTTP_MARGIN_MS,
      }), 'pull from the relay');
      const messages = Array.isArray(pulled.messages) ? (pulled.messages as PulledMessage[]) : [];
      for (const message of messages) {
        if (!message || typeof message !== 'object') continue;
        const packet = {
          device_id: typeof message.device_id === 'string' ? message.device_id : request.deviceId,
          payload: message.payload ?? message.packet,
          signature: message.signature,
          request_counter: message.request_counter,
          version: '1.0',
        };
        const check = checkReply(request, packet);
        if (check.kind === 'match') return { inner: check.inner, requestCounter: check.requestCounter, via: `http ${base}` };
        // Every packet of this device is signed with its token: one that fails our check means our token is wrong.
        if (check.kind === 'bad-signature') throw signatureError(options.deviceName);
      }
    }
  } finally {
    options.progress.stop();
  }
  throw new CliError('TIMEOUT', `no reply from ${request.deviceId} via ${base} within ${options.timeoutMs / 1000} s (is the device online?)`);
}
