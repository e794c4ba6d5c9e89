/** Speaks HTTP/1.1 to the device's setup page over the in-memory TCP seam. */
import type { TestDevice } from './harness';
import { HTTP_PORT } from './harness';

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function httpRequest(
  device: TestDevice, method: string, path: string, body = '', headers: Record<string, string> = {}, remoteAddress = '127.0.0.1',
): HttpResult {
  const peer = device.platform.tcp.connect(HTTP_PORT, remoteAddress);
  let head = `${method} ${path} HTTP/1.1\r\nHost: 192.168.4.1\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (method === 'POST') head += `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${new TextEncoder().encode(body).length}\r\n`;
  peer.send(head + '\r\n' + body);
  const text = peer.text;
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP response: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const result: HttpResult = { status: Number(statusLine!.split(' ')[1]), headers: {}, body: text.slice(split + 4) };
  for (const line of lines) result.headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return result;
}

export function form(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** Logs in with the setup password; returns the Cookie header value and the CSRF token of the form. */
export function login(device: TestDevice, password: string): { cookie: string; csrf: string; page: HttpResult } {
  const response = httpRequest(device, 'POST', '/login', form({ password }));
  if (response.status !== 303) throw new Error(`login failed with ${response.status}`);
  const cookie = response.headers['set-cookie']!.split(';')[0]!;
  const page = httpRequest(device, 'GET', '/', '', { Cookie: cookie });
  const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page.body)![1]!;
  return { cookie, csrf, page };
}
