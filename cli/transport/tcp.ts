import { connect } from 'node:net';
import { CliError, connectionError } from '../errors';
import { checkReply, signatureError } from '../exchange';
import type { DeviceReply, ExchangeOptions } from './types';

/** A v1.0 reply line is under 1.1 KiB; anything far longer is not a WakeLink device. */
export const MAX_TCP_REPLY_BYTES = 16 * 1024;

/** Spec 3.1: one JSON line per connection; the device answers one line and closes. */
export function exchangeTcp(host: string, port: number, options: ExchangeOptions): Promise<DeviceReply> {
  const where = `${host}:${port}`;
  const line = `${JSON.stringify(options.request.envelope)}\n`;
  return new Promise<DeviceReply>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket = connect({ host, port });
    const finish = (error: CliError | undefined, reply?: DeviceReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.progress.stop();
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(() => {
      finish(new CliError('TIMEOUT', `no reply from ${where} within ${options.timeoutMs / 1000} s (is the device online at that address?)`));
    }, options.timeoutMs);
    // Same indicator as the relay transports; a LAN connect can hang as long as a reply can.
    options.progress.start(`waiting for ${options.deviceName} via tcp ${where}`);

    const handleLine = (text: string): void => {
      const trimmed = text.trim();
      if (trimmed === '') return finish(new CliError('BAD_REPLY', `${where} closed the connection without replying`));
      let packet: unknown;
      try {
        packet = JSON.parse(trimmed);
      } catch {
        return finish(new CliError('BAD_REPLY', `${where} sent something that is not JSON: ${JSON.stringify(trimmed.slice(0, 80))}`));
      }
      const check = checkReply(options.request, packet);
      if (check.kind === 'match') return finish(undefined, { inner: check.inner, requestCounter: check.requestCounter, via: `tcp ${where}` });
      if (check.kind === 'bad-signature') return finish(signatureError(options.deviceName));
      if (check.kind === 'foreign') return finish(new CliError('BAD_REPLY', `${where} answered another request (request_id ${JSON.stringify(check.requestId)})`));
      return finish(new CliError('BAD_REPLY', `${where} sent an unusable reply: ${check.reason}`));
    };

    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(line));
    socket.on('data', (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a);
      const part = newline >= 0 ? chunk.subarray(0, newline) : chunk;
      received += part.length;
      if (received > MAX_TCP_REPLY_BYTES) return finish(new CliError('BAD_REPLY', `${where} sent more than ${MAX_TCP_REPLY_BYTES} bytes without a newline`));
      chunks.push(part);
      if (newline >= 0) handleLine(Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('end', () => handleLine(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (error) => finish(connectionError(error, where)));
    socket.on('close', () => finish(new CliError('CONNECTION_ERROR', `${where} closed the connection without replying`)));
  });
}
