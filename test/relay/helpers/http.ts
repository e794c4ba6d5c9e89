export interface HttpResult {
  status: number;
  body: any;
  headers: Headers;
}

/** One JSON request to the relay (real socket, fetch). */
export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.rawBody !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(base + path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

let counter = 0;
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${process.pid}_${counter}`;
}

export interface TestUser {
  id: number;
  username: string;
  password: string;
  token: string;
}

export async function registerUser(base: string, name = uniqueName()): Promise<TestUser> {
  const password = 'correct horse battery';
  const res = await api(base, 'POST', '/auth/register', { body: { username: name, password } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, username: name, password, token: res.body.api_token };
}

export async function registerDevice(base: string, token: string, deviceId: string, deviceToken?: string): Promise<void> {
  const res = await api(base, 'POST', '/api/register_device', {
    token, body: { device_id: deviceId, device_data: deviceToken ? { name: 'test', device_token: deviceToken } : { name: 'test' } },
  });
  if (res.status !== 200) throw new Error(`register_device failed: ${res.status} ${JSON.stringify(res.body)}`);
}
