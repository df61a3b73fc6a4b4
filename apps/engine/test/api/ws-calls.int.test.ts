import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WS_MAX_BATCH_CALLS, WS_MAX_CALLS_IN_FLIGHT } from '../../src/server/ws-calls.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(() => t?.stop());

async function member() {
  const db = t.engine.api.db;
  const tenant = await db.tenant.create({ data: { name: 'ws-calls' } });
  const user = await db.user.create({
    data: { email: `${randomUUID()}@example.test`, passwordHash: 'unused', emailVerifiedAt: new Date() },
  });
  await db.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: 'OWNER' } });
  return { token: await t.sessionToken(user.id, tenant.id) };
}

interface Answer {
  id: number;
  result?: { type: string };
  error?: { data: { appCode: string | null } };
}

/** A raw tRPC WebSocket (so arrays can be sent as they are), answers collected by id. */
async function rawSocket(token: string | null) {
  const ws = new WebSocket(`${t.engine.server.wsUrl}${token ? '?connectionParams=1' : ''}`);
  const answers = new Map<number, Answer>();
  ws.on('message', (raw) => {
    const text = raw.toString();
    if (text === 'PING') return;
    const msg = JSON.parse(text) as Answer;
    if (typeof msg.id === 'number' && !answers.has(msg.id)) answers.set(msg.id, msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (token) ws.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
  return { ws, answers };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const query = (id: number, path: string, input?: unknown) => ({
  id,
  method: 'query',
  params: { path, input },
});
const codeOf = (a: Answer | undefined) => a?.error?.data.appCode ?? null;

describe('WebSocket calls are bounded', () => {
  it(`refuses a message of ${WS_MAX_BATCH_CALLS + 1} calls with BATCH_TOO_LARGE for each, running none`, async () => {
    const { ws, answers } = await rawSocket(null);
    const n = WS_MAX_BATCH_CALLS + 1;
    ws.send(JSON.stringify(Array.from({ length: n }, (_, i) => query(i + 1, 'system.version'))));
    await waitFor('an answer per call', () => answers.size === n);
    expect([...answers.values()].every((a) => codeOf(a) === 'BATCH_TOO_LARGE')).toBe(true);

    // At the bound the calls run.
    ws.send(
      JSON.stringify(
        Array.from({ length: WS_MAX_BATCH_CALLS }, (_, i) => query(1_000 + i, 'system.version')),
      ),
    );
    await waitFor('the batch at the bound', () => answers.size === n + WS_MAX_BATCH_CALLS);
    expect(answers.get(1_000)?.result?.type).toBe('data');
    expect([...answers.keys()].filter((id) => id >= 1_000 && codeOf(answers.get(id)) !== null)).toEqual([]);
    ws.close();
  });

  it('refuses auth.* calls inside an array with BATCH_NOT_ALLOWED, and serves one alone', async () => {
    const { ws, answers } = await rawSocket(null);
    const guess = { email: 'victim@example.test', password: 'guess' };
    ws.send(
      JSON.stringify(
        Array.from({ length: 5 }, (_, i) => ({
          id: i + 1,
          method: 'mutation',
          params: { path: 'auth.signIn', input: guess },
        })),
      ),
    );
    await waitFor('five answers', () => answers.size === 5);
    expect([...answers.values()].map(codeOf)).toEqual(Array(5).fill('BATCH_NOT_ALLOWED'));

    // One auth call in an array of one is just a call: judged (wrong password), not refused as a batch.
    ws.send(JSON.stringify([{ id: 10, method: 'mutation', params: { path: 'auth.signIn', input: guess } }]));
    await waitFor('the single call', () => answers.has(10));
    expect(codeOf(answers.get(10))).not.toBe('BATCH_NOT_ALLOWED');
    ws.close();
  });

  it(`answers CALLS_IN_FLIGHT_LIMIT past ${WS_MAX_CALLS_IN_FLIGHT} calls running on one connection, and frees the places when they end`, async () => {
    const { token } = await member();
    const { ws, answers } = await rawSocket(token);
    // Hold the calls in flight: every credential check reads these tables, locked until `unlock`.
    let unlock = () => {};
    const unlocked = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = t.engine.api.db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe('LOCK TABLE users, memberships IN ACCESS EXCLUSIVE MODE');
        locked();
        await unlocked;
      },
      { timeout: 60_000, maxWait: 20_000 },
    );
    try {
      await isLocked;
      const full = WS_MAX_CALLS_IN_FLIGHT;
      ws.send(JSON.stringify(Array.from({ length: full }, (_, i) => query(i + 1, 'accounts.me'))));
      ws.send(JSON.stringify(Array.from({ length: 8 }, (_, i) => query(1_000 + i, 'accounts.me'))));
      await waitFor('the refusals', () => answers.size === 8);
      expect([...answers.keys()].sort((a, b) => a - b)).toEqual([
        1_000, 1_001, 1_002, 1_003, 1_004, 1_005, 1_006, 1_007,
      ]);
      expect([...answers.values()].every((a) => codeOf(a) === 'CALLS_IN_FLIGHT_LIMIT')).toBe(true);
    } finally {
      unlock();
      await holder;
    }
    await waitFor('the held calls', () => answers.size === WS_MAX_CALLS_IN_FLIGHT + 8);
    expect(answers.get(1)?.result?.type).toBe('data');
    expect([...answers.keys()].filter((id) => id < 1_000 && codeOf(answers.get(id)) !== null)).toEqual([]);

    // Once answered, the places are free again.
    ws.send(JSON.stringify(Array.from({ length: 8 }, (_, i) => query(2_000 + i, 'accounts.me'))));
    await waitFor('the next array', () => answers.size === WS_MAX_CALLS_IN_FLIGHT + 16);
    for (let i = 0; i < 8; i++) expect(answers.get(2_000 + i)?.result?.type).toBe('data');
    ws.close();
  });
});

describe('subscriptions need the WebSocket', () => {
  it('refuses a subscription over plain HTTP (SSE) with 405 SUBSCRIPTION_NEEDS_WEBSOCKET, without streaming', async () => {
    const { token } = await member();
    const account = await t.client(token).paperAccounts.create.mutate({ name: 'sse' });
    const input = encodeURIComponent(JSON.stringify({ accountId: account.id }));
    const res = await fetch(`${t.url}/paperAccounts.onBalances?input=${input}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: AbortSignal.timeout(15_000),
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).not.toContain('text/event-stream');
    // The body ends (no stream kept open).
    const body = (await res.json()) as { error: { data: { appCode: string } } };
    expect(body.error.data.appCode).toBe('SUBSCRIPTION_NEEDS_WEBSOCKET');

    // Inside an HTTP batch too.
    const batch = await fetch(
      `${t.url}/system.version,paperAccounts.onBalances?batch=1&input=${encodeURIComponent(
        JSON.stringify({ 1: { accountId: account.id } }),
      )}`,
      { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) },
    );
    expect(batch.status).toBe(405);
    const answers = (await batch.json()) as { error: { data: { appCode: string } } }[];
    expect(answers[1]?.error.data.appCode).toBe('SUBSCRIPTION_NEEDS_WEBSOCKET');
  });
});
