import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(() => t?.stop());

const MIB = 1024 * 1024;

interface Answer {
  status: number;
  body: unknown;
  /** Bytes of the body the client managed to send before the answer ended the exchange. */
  sent: number;
  ms: number;
}

/**
 * POSTs a body of `totalBytes` (JSON-ish filler) in 64 KiB chunks, with or without Content-Length
 * (chunked), and resolves with the answer as soon as it arrives; stops sending at once then.
 */
function postBig(
  path: string,
  totalBytes: number,
  opts: { contentLength: boolean; headers?: Record<string, string> },
): Promise<Answer> {
  const started = performance.now();
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(`${t.engine.server.url}/trpc/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...opts.headers,
        ...(opts.contentLength ? { 'content-length': String(totalBytes) } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(parts).toString()),
          sent,
          ms: performance.now() - started,
        }),
      );
      res.on('error', reject);
    });
    // Once answered, the server drops the connection: a write error then is expected.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        const n = Math.min(chunk.length, totalBytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
          return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    req.write('{"json":"');
    pump();
  });
}

const appCodeOfBody = (body: unknown) =>
  (body as { error: { data: { appCode: string } } }).error.data.appCode;

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('HTTP request bodies are bounded', () => {
  it('answers 413 REQUEST_TOO_LARGE at once when Content-Length is over the bound', async () => {
    const answer = await postBig('auth.signIn', 300 * MIB, { contentLength: true });
    expect(answer.status).toBe(413);
    expect(appCodeOfBody(answer.body)).toBe('REQUEST_TOO_LARGE');
    // Answered before the body was sent: the engine never waited for (or read) the 300 MB.
    expect(answer.sent).toBeLessThan(100 * MIB);
    expect(answer.ms).toBeLessThan(10_000);
  });

  it('answers 413 while a chunked body streams, as soon as it passes the bound', async () => {
    const answer = await postBig('auth.signIn', 300 * MIB, { contentLength: false });
    expect(answer.status).toBe(413);
    expect(appCodeOfBody(answer.body)).toBe('REQUEST_TOO_LARGE');
    expect(answer.sent).toBeLessThan(100 * MIB);
  });

  it('keeps the heap bounded under four concurrent oversized bodies', async () => {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    try {
      // 64 MB each, chunked: buffered whole, as before the bound, these would add well over 256 MB.
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => postBig('auth.signIn', 64 * MIB, { contentLength: false })),
      );
      for (const a of answers) expect(a.status).toBe(413);
    } finally {
      clearInterval(sampler);
    }
    // Engine and client share this process: the bound covers both, with room for the GC's timing.
    expect(peak - before).toBeLessThan(96 * MIB);
  });

  it('accepts a body over 1 MiB only on the upload path, where the module size decides', async () => {
    const owner = await member();
    // Just over the FREE tier's 1 MiB module cap, within its upload body bound (the module's base64
    // plus 64 KiB): the validator decides.
    const wasmBase64 = Buffer.alloc(MIB + 16 * 1024, 1).toString('base64');
    const upload = await post('strategies.upload', JSON.stringify({ name: 'big', wasmBase64 }), {
      authorization: `Bearer ${owner.token}`,
    });
    expect(upload.status).toBe(400);
    expect(appCodeOfBody(upload.body)).toBe('STRATEGY_INVALID_MODULE');
    // The same size anywhere else is refused before it is read.
    const elsewhere = await post('paperAccounts.create', JSON.stringify({ name: 'x'.repeat(2 * MIB) }), {
      authorization: `Bearer ${owner.token}`,
    });
    expect(elsewhere.status).toBe(413);
    expect(appCodeOfBody(elsewhere.body)).toBe('REQUEST_TOO_LARGE');
  });
});

describe('uploads and bodies in flight are bounded', () => {
  it('bounds an upload by the caller’s tier: 413 at once for a FREE tenant’s 3 MiB body', async () => {
    const owner = await member();
    const answer = await postBig('strategies.upload', 3 * MIB, {
      contentLength: true,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(answer.status).toBe(413);
    expect(appCodeOfBody(answer.body)).toBe('REQUEST_TOO_LARGE');
    // FREE: base64 of 1 MiB plus 64 KiB.
    expect(
      (answer.body as { error: { data: { details: { maxBytes: number } } } }).error.data.details.maxBytes,
    ).toBe(Math.ceil(MIB / 3) * 4 + 64 * 1024);
  });

  it('verifies an upload’s credential before reading its body: "Bearer x" gets 401 without sending 20 MiB', async () => {
    const answer = await postBig('strategies.upload', 20 * MIB, {
      contentLength: true,
      headers: { authorization: 'Bearer x' },
    });
    expect(answer.status).toBe(401);
    // Only what socket buffers took before the answer; the engine read none of it.
    expect(answer.sent).toBeLessThan(16 * MIB);
  });

  it('answers 503 REQUEST_BODIES_BUSY once the bodies in flight hold 64 MiB, and serves again when they end', async () => {
    const held: ReturnType<typeof request>[] = [];
    const answers: number[] = [];
    const body = Buffer.alloc(1_000_000, 0x61);
    let busy = null as { status: number; code: string; reason: string; retryAfter: string | null } | null;
    try {
      // Each sends 1,000,000 of its 1,000,001 announced bytes and waits: held, under the 1 MiB bound.
      for (let i = 0; i < 80 && !busy; i++) {
        const req = request(`${t.engine.server.url}/trpc/paperAccounts.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(body.length + 1) },
        });
        req.on('error', () => {});
        req.on('response', (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            answers.push(res.statusCode ?? 0);
            if (res.statusCode !== 503) return;
            const err = (
              JSON.parse(Buffer.concat(parts).toString()) as {
                error: { data: { appCode: string; details: { reason: string } } };
              }
            ).error.data;
            busy = {
              status: 503,
              code: err.appCode,
              reason: err.details.reason,
              retryAfter: res.headers['retry-after'] ?? null,
            };
          });
        });
        held.push(req);
        // Handed to the socket before the next starts, so they add up in the engine as they arrive.
        await new Promise<void>((resolve) => req.write(body, () => resolve()));
      }
      await waitFor('a refusal', () => busy !== null, 30_000);
    } finally {
      for (const req of held) req.destroy();
    }
    expect(busy).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      reason: 'REQUEST_BODIES_BUSY',
      retryAfter: '1',
    });
    // Nothing else was answered: the held bodies were within every other bound.
    expect(answers.filter((s) => s !== 503)).toEqual([]);
    // Once the held requests are gone, their bytes are free again.
    await waitFor('bodies served again', async () => {
      const res = await post('system.version', '{}');
      return res.status !== 503;
    });
  });

  it('answers 408 REQUEST_TIMEOUT when a body stalls', async () => {
    const started = performance.now();
    const answer = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = request(`${t.engine.server.url}/trpc/paperAccounts.create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }),
        );
      });
      req.write('{"name":');
    });
    expect(answer.status).toBe(408);
    expect(appCodeOfBody(answer.body)).toBe('REQUEST_TIMEOUT');
    // The bound is 10 s; well before Node's own 300 s request timeout.
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 90_000);
});

describe('JSON and batches are bounded', () => {
  it('refuses deeply nested JSON with 400 REQUEST_MALFORMED', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const res = await post('auth.signIn', `{"email":${deep},"password":"x"}`);
    expect(res.status).toBe(400);
    expect(appCodeOfBody(res.body)).toBe('REQUEST_MALFORMED');
    // In a GET's input too.
    const get = await fetch(
      `${t.url}/system.version?input=${encodeURIComponent(`${'['.repeat(100)}${']'.repeat(100)}`)}`,
    );
    expect(get.status).toBe(400);
    expect(appCodeOfBody(await get.json())).toBe('REQUEST_MALFORMED');
  });

  it('refuses a body that is not JSON with 400 REQUEST_MALFORMED', async () => {
    const res = await post('auth.signIn', '{"email": "a@b.test", "password": ');
    expect(res.status).toBe(400);
    expect(appCodeOfBody(res.body)).toBe('REQUEST_MALFORMED');
  });

  it('refuses a batch of 11 calls with 400 BATCH_TOO_LARGE, and serves a batch of 10', async () => {
    const paths = (n: number) => Array.from({ length: n }, () => 'system.version').join(',');
    const eleven = await fetch(`${t.url}/${paths(11)}?batch=1&input=${encodeURIComponent('{}')}`);
    expect(eleven.status).toBe(400);
    const body = (await eleven.json()) as { error: { data: { appCode: string } } }[];
    expect(body).toHaveLength(11);
    expect(body.every((b) => b.error.data.appCode === 'BATCH_TOO_LARGE')).toBe(true);

    const ten = await fetch(`${t.url}/${paths(10)}?batch=1&input=${encodeURIComponent('{}')}`);
    expect(ten.status).toBe(200);
  });

  it('refuses auth calls inside a batch with 400 BATCH_NOT_ALLOWED', async () => {
    const attempts = Array.from({ length: 5 }, () => ({ email: 'victim@example.test', password: 'guess' }));
    const input = Object.fromEntries(attempts.map((a, i) => [String(i), a]));
    const res = await post(`${attempts.map(() => 'auth.signIn').join(',')}?batch=1`, JSON.stringify(input));
    expect(res.status).toBe(400);
    expect((res.body as { error: { data: { appCode: string } } }[])[0]?.error.data.appCode).toBe(
      'BATCH_NOT_ALLOWED',
    );
    // A "batch" of one auth call is just a call (browsers' batching links send those).
    const single = await post('auth.signIn?batch=1', JSON.stringify({ 0: attempts[0] }));
    expect((single.body as { error: { data: { appCode: string } } }[])[0]?.error.data.appCode).not.toBe(
      'BATCH_NOT_ALLOWED',
    );
  });
});

describe('WebSocket messages are bounded', () => {
  async function open(): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
    const ws = new WebSocket(t.engine.server.wsUrl);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { ws, closed };
  }

  it('closes the connection on an oversized message with 1009 REQUEST_TOO_LARGE', async () => {
    const { ws, closed } = await open();
    ws.send(Buffer.alloc(2 * MIB, 0x20).toString());
    await expect(closed).resolves.toEqual({ code: 1009, reason: 'REQUEST_TOO_LARGE' });
  });

  it('closes the connection on deeply nested JSON with 1007 REQUEST_MALFORMED', async () => {
    const { ws, closed } = await open();
    ws.send(
      JSON.stringify({ id: 1, method: 'query', params: { path: 'system.version', input: deepArray(1_000) } }),
    );
    await expect(closed).resolves.toEqual({ code: 1007, reason: 'REQUEST_MALFORMED' });
  });
});

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

async function member() {
  const db = t.engine.api.db;
  const tenant = await db.tenant.create({ data: { name: 'bounded' } });
  const user = await db.user.create({
    data: { email: `${randomUUID()}@example.test`, passwordHash: 'unused', emailVerifiedAt: new Date() },
  });
  await db.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'OWNER' } });
  return { token: await t.sessionToken(user.id, tenant.id) };
}
