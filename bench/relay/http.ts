/** Minimal JSON-over-HTTP client for the load generator (keep-alive, bounded by a timeout). */
import { Agent, request } from 'node:http';

const REQUEST_TIMEOUT_MS = 40_000;
/** Replies are small JSON documents; anything bigger is a bug worth stopping for. */
const MAX_REPLY_BYTES = 1024 * 1024;

export interface JsonReply {
  status: number;
  body: Record<string, unknown>;
}

export class JsonClient {
  /** One connection per client object, like one CLI or app instance. */
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly port: number, private readonly token?: string) {}

  post(path: string, body: unknown): Promise<JsonReply> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: this.port,
        method: 'POST',
        path,
        agent: this.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_REPLY_BYTES) req.destroy(new Error(`reply to ${path} exceeds ${MAX_REPLY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          } catch (error) {
            reject(new Error(`${path}: reply is not JSON (${(error as Error).message})`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${path}: no reply within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** POST that must succeed with one of `expected` statuses; throws with the relay's answer otherwise. */
export async function postOk(client: JsonClient, path: string, body: unknown, expected = [200, 201]): Promise<Record<string, unknown>> {
  const reply = await client.post(path, body);
  if (!expected.includes(reply.status)) throw new Error(`${path} → ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  return reply.body;
}
