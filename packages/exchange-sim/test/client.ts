import WebSocket from 'ws';

/**
 * A test client over a real socket: keeps every text message, lets a test wait (with a bound) for the
 * next one matching a predicate, and exposes how the socket closed.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #cursor = 0;
  #wake: (() => void) | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.messages.push(String(data));
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake?.();
      });
    });
    ws.on('error', () => {});
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(data: unknown): void {
    this.ws.send(typeof data === 'string' ? data : JSON.stringify(data));
  }

  /** The next message after the last one returned that satisfies `match`, within `timeoutMs`. */
  async next(match: (text: string) => boolean = () => true, timeoutMs = 2_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.messages.length) {
        const text = this.messages[this.#cursor] as string;
        this.#cursor += 1;
        if (match(text)) return text;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`no matching message within ${timeoutMs} ms (got ${this.messages.length})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Like `next`, parsed. */
  async nextJson<T = Record<string, unknown>>(
    match: (text: string) => boolean = () => true,
    timeoutMs = 2_000,
  ): Promise<T> {
    return JSON.parse(await this.next(match, timeoutMs)) as T;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** `{a: 1, b: 'x'}` -> `{a: 'number', b: 'string'}`: compares a frame's shape with a documented example. */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  }
  return value === null ? 'null' : typeof value;
}

/** Resolves when `check` holds, polling every 10 ms; fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
