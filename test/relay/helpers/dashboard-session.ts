/** A dashboard user without a browser: a cookie jar over fetch, and the live stream read as frames. */
import http from 'node:http';

export class CookieBrowser {
  private readonly jar = new Map<string, string>();
  constructor(private readonly base: string) {}

  cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(method: 'GET' | 'POST', path: string, init: { form?: Record<string, string>; json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.cookie(), ...init.headers };
    let body: string | undefined = init.body;
    if (init.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(init.json);
    }
    const res = await fetch(this.base + path, { method, redirect: 'manual', headers, body });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (/max-age=0/i.test(line)) this.jar.delete(name!);
      else this.jar.set(name!, value!);
    }
    return res;
  }

  /** Registers an account through the forms; returns the page's CSRF token and the first API token. */
  async register(username: string): Promise<{ csrf: string; apiToken: string }> {
    const form = await (await this.request('GET', '/register')).text();
    const formCsrf = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
    const registered = await this.request('POST', '/register', { form: { csrf: formCsrf, username, password: 'correct horse battery', confirm: 'correct horse battery' } });
    if (registered.status !== 303) throw new Error(`register failed: ${registered.status}`);
    const page = await (await this.request('GET', '/dashboard')).text();
    return { csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]!, apiToken: /<code id="new-token" class="secret">([^<]+)<\/code>/.exec(page)![1]! };
  }
}

export interface LiveStream {
  status: number;
  frames: any[];
  /** The next frame that `match` accepts (earlier non-matching ones are dropped). */
  next(match?: (frame: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

export function liveStream(base: string, browser: CookieBrowser): Promise<LiveStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/dashboard/live`, { headers: { cookie: browser.cookie() } }, (res) => {
      const frames: any[] = [];
      const waiting: (() => void)[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.startsWith('data: ')) frames.push(JSON.parse(event.slice(6)));
          waiting.splice(0).forEach((wake) => wake());
        }
      });
      const next = async (match: (frame: any) => boolean = () => true, timeoutMs = 3000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          while (frames.length > 0) {
            const frame = frames.shift();
            if (match(frame)) return frame;
          }
          if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms`);
          await new Promise<void>((wake) => { waiting.push(wake); setTimeout(wake, 100); });
        }
      };
      resolve({ status: res.statusCode ?? 0, frames, next, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
