import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, type TestUser } from './helpers/http';
import { ManualClock, startRelay, type RunningRelay } from './helpers/relay';
import { WsProbe } from './helpers/ws';

interface Operation {
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  parameters?: { in: string; name: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  'x-websocket-frames'?: { clientSends: { $ref: string }[]; relaySends: { $ref: string }[] };
}
interface OpenApi { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } }

/** A raw upgrade request; returns the refusal's status and JSON body (the relay closes after it). */
function refusedUpgrade(port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let raw = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  });
}

/** The one error body: `{"error": CODE, "detail": text}` (+ `errors` for validation). */
function expectErrorShape(body: unknown, where: string): void {
  expect(body, where).toBeTypeOf('object');
  const record = body as Record<string, unknown>;
  expect(typeof record.error, `${where}: error`).toBe('string');
  expect(typeof record.detail, `${where}: detail`).toBe('string');
  expect(Object.keys(record).filter((key) => !['error', 'detail', 'errors'].includes(key)), where).toEqual([]);
  if (record.errors !== undefined) expect(Array.isArray(record.errors), where).toBe(true);
}

let relay: RunningRelay;
let user: TestUser;
let doc: OpenApi;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  relay = await startRelay({ clock });
  user = await registerUser(relay.http);
  doc = (await api(relay.http, 'GET', '/docs/json')).body as OpenApi;
});
afterAll(() => relay.close());

const httpOperations = () => Object.entries(doc.paths)
  .filter(([path]) => !path.startsWith('/ws/'))
  .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

describe('/docs (OpenAPI)', () => {
  it('documents every JSON operation with tags, summary, request and response schemas and its error responses', () => {
    const operations = httpOperations();
    expect(operations.length).toBeGreaterThanOrEqual(15);
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      expect(op.tags?.length, where).toBeGreaterThan(0);
      expect(op.summary, where).toBeTruthy();
      const success = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      expect(success.length, where).toBe(1);
      expect(op.responses[success[0]!]!.content?.['application/json']?.schema, `${where} success schema`).toBeDefined();
      const errorStatuses = Object.keys(op.responses).filter((status) => /^[45]\d\d$/.test(status));
      expect(errorStatuses.length, where).toBeGreaterThan(0);
      for (const status of errorStatuses) expect(op.responses[status]!.content?.['application/json']?.schema, `${where} ${status}`).toBeDefined();
      if (['POST', 'PUT', 'DELETE'].includes(method) && op.requestBody !== undefined) {
        for (const status of ['413', '415', '422']) expect(errorStatuses, `${where} documents ${status}`).toContain(status);
      }
      if (op.security) {
        // Both ways of sending the token are attached wherever a token is accepted.
        expect(op.security, where).toEqual([{ bearer: [] }, { apiToken: [] }]);
        expect(errorStatuses, where).toContain('401');
      }
    }
    expect(doc.components.securitySchemes).toMatchObject({ apiToken: { type: 'apiKey', in: 'header', name: 'X-API-Token' }, bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('hides the dashboard HTML routes and documents the two WebSocket endpoints with their frames', () => {
    for (const page of ['/', '/login', '/register', '/logout', '/dashboard', '/dashboard/tokens', '/dashboard/delete_device']) {
      expect(Object.keys(doc.paths), page).not.toContain(page);
    }
    for (const path of ['/ws/{device_id}', '/ws/client/{client_id}']) {
      const op = doc.paths[path]?.get;
      expect(op, path).toBeDefined();
      expect(op!.responses['101']).toBeDefined();
      for (const status of ['400', '403', '404', '429', '503']) expect(op!.responses[status], `${path} ${status}`).toBeDefined();
      const frames = op!['x-websocket-frames']!;
      expect(frames.clientSends.length).toBeGreaterThan(0);
      for (const { $ref } of [...frames.clientSends, ...frames.relaySends]) {
        expect(doc.components.schemas[$ref.replace('#/components/schemas/', '')], $ref).toBeDefined();
      }
    }
    expect((doc.paths['/ws/client/{client_id}']!.get! as unknown as { description: string }).description).toContain('| 1008 |');
  });
});

describe('one JSON error shape on every route', () => {
  it('each documented operation answers its errors as {"error", "detail"} with a documented status', async () => {
    const calls: { status: number; body: unknown; where: string; documented: string[] }[] = [];
    for (const { path, method, op } of httpOperations()) {
      const documented = Object.keys(op.responses);
      const url = path.replace('{id}', 'abc');
      const record = async (label: string, options: Parameters<typeof api>[3]) => {
        const res = await api(relay.http, method, url, options);
        calls.push({ status: res.status, body: res.body, where: `${method} ${path} ${label}`, documented });
        return res;
      };
      if (op.security) {
        const res = await record('without a token', {});
        expect(res.body, `${method} ${path}`).toEqual({ error: 'AUTH_REQUIRED', detail: 'API token required' });
      }
      const token = op.security ? user.token : undefined;
      if (op.requestBody !== undefined) {
        expect((await record('text/plain', { token, rawBody: '{"device_id":"WL1"}', headers: { 'content-type': 'text/plain' } })).body.error).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect((await record('form body', { token, rawBody: 'device_id=WL1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).body.error).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect((await record('broken JSON', { token, rawBody: '{"device_id": ' })).body.error).toBe('BODY_NOT_JSON');
        // Objects, which no schema coerces into strings.
        const wrongTypes = await record('wrong types', { token, body: { device_id: {}, username: {}, password: {}, name: {}, payload: {}, signature: {} } });
        expect(wrongTypes.body.error, `${method} ${path}`).toBe('VALIDATION');
      } else if (op.parameters?.some((p) => p.required && p.in !== 'header')) {
        expect((await record('bad parameter', { token })).body.error).toBe('VALIDATION');
      }
    }
    expect(calls.length).toBeGreaterThan(40);
    for (const call of calls) {
      expect(call.status, call.where).toBeGreaterThanOrEqual(400);
      expectErrorShape(call.body, call.where);
      expect(call.documented, `${call.where}: status ${call.status} documented`).toContain(String(call.status));
    }
  });

  it('unknown paths, wrong methods, oversize bodies and refused WebSocket upgrades use it too', async () => {
    expect((await api(relay.http, 'GET', '/nope')).body).toEqual({ error: 'NOT_FOUND', detail: 'Not Found' });
    expect((await api(relay.http, 'GET', '/api/pull', { token: user.token })).body).toEqual({ error: 'METHOD_NOT_ALLOWED', detail: 'Method Not Allowed' });
    const big = await api(relay.http, 'POST', '/api/push', { token: user.token, rawBody: JSON.stringify({ device_id: 'WL1', payload: 'a'.repeat(20_000), signature: 'b' }) });
    expect(big.status).toBe(413);
    expectErrorShape(big.body, '413');
    const port = Number(new URL(relay.http).port);
    for (const [path, status, code] of [['/ws/WL2OFF00', 400, 'INVALID_ID'], ['/ws/a/b/c', 404, 'NOT_FOUND']] as const) {
      const refused = await refusedUpgrade(port, path);
      expect(refused.status, path).toBe(status);
      expectErrorShape(refused.body, path);
      expect(refused.body, path).toMatchObject({ error: code });
    }
    const foreign = new WsProbe(`${relay.ws}/ws/client/c1`, { headers: { Origin: 'https://evil.example' } });
    await foreign.opened.catch(() => undefined);
    expect(foreign.unexpectedResponse).toBe(403);
  });
});

describe('an expired JWT says so (TOKEN_EXPIRED), on HTTP and WebSocket', () => {
  it('works until its expiry on the relay clock, then 401 TOKEN_EXPIRED and a TOKEN_EXPIRED frame; garbage stays INVALID_TOKEN', async () => {
    const login = await api(relay.http, 'POST', '/auth/login', { body: { username: user.username, password: user.password } });
    const jwt = login.body.access_token as string;
    expect((await api(relay.http, 'GET', '/api/devices', { token: jwt })).status).toBe(200);
    clock.advance((login.body.expires_in + 31) * 1000); // past exp and jwt.ts's 30 s tolerance
    const expired = await api(relay.http, 'GET', '/api/devices', { token: jwt });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: 'TOKEN_EXPIRED', detail: 'Token expired' });
    const probe = new WsProbe(`${relay.ws}/ws/client/expired`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(await probe.next()).toEqual({ status: 'error', error: 'TOKEN_EXPIRED', message: 'Token expired' });
    expect((await probe.closed).code).toBe(1008);
    const tampered = `${jwt.slice(0, -4)}AAAA`;
    expect((await api(relay.http, 'GET', '/api/devices', { token: tampered })).body).toEqual({ error: 'INVALID_TOKEN', detail: 'Invalid API token' });
    // API tokens do not expire.
    expect((await api(relay.http, 'GET', '/api/devices', { token: user.token })).status).toBe(200);
  });
});
