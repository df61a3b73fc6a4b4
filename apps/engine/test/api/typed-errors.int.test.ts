import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import type { Role } from '@qt/shared';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * A TCP proxy in front of a real service (PostgreSQL, Redis) that a test can cut: open connections are
 * destroyed and new ones refused until it is restored. The service itself is shared; it is never touched.
 */
class CuttableProxy {
  #up = true;
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(host: string, port: number): Promise<CuttableProxy> {
    let proxy: CuttableProxy | undefined;
    const server = createServer((client) => {
      if (!proxy?.up) return void client.destroy();
      const upstream = connect(port, host);
      for (const s of [client, upstream]) {
        proxy.track(s);
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    proxy = new CuttableProxy(server);
    return proxy;
  }

  get up(): boolean {
    return this.#up;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  track(s: Socket): void {
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
  }

  cut(): void {
    this.#up = false;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void {
    this.#up = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(() => t?.stop());

/** A person with a membership, made directly in the database (independent of the sign-up flow). */
async function member(engine: TestEngine, role: Role = 'OWNER', tenantId?: string) {
  const db = engine.engine.api.db;
  const tenant = tenantId ?? (await db.tenant.create({ data: { name: 'typed' } })).id;
  const user = await db.user.create({
    data: { email: `${randomUUID()}@example.test`, passwordHash: 'unused', emailVerifiedAt: new Date() },
  });
  await db.membership.create({ data: { userId: user.id, tenantId: tenant, role } });
  return { userId: user.id, tenantId: tenant, token: await engine.sessionToken(user.id, tenant) };
}

/** The error's class as a caller sees it (`error.data.code` / `httpStatus`). */
async function errorDataOf(
  call: Promise<unknown>,
): Promise<{ code: string; httpStatus: number; appCode: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCClientError)
      return err.data as { code: string; httpStatus: number; appCode: string };
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('names refuse the NUL character', () => {
  it('answers VALIDATION_FAILED for tenant, API key, strategy and paper account names', async () => {
    const owner = await member(t);
    const c = t.client(owner.token);
    const nul = 'bad\u0000name';
    expect(await appCodeOf(c.accounts.updateTenant.mutate({ name: nul }))).toBe('VALIDATION_FAILED');
    expect(await appCodeOf(c.apiKeys.create.mutate({ name: nul, scopes: ['read'] }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await appCodeOf(c.paperAccounts.create.mutate({ name: nul }))).toBe('VALIDATION_FAILED');
    expect(await appCodeOf(c.strategies.createFromExample.mutate({ name: nul, example: 'sma-cross' }))).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('malformed cursors', () => {
  it('answer 400 INVALID_CURSOR on every paged list', async () => {
    const owner = await member(t);
    const c = t.client(owner.token);
    const account = await c.paperAccounts.create.mutate({ name: 'cursors' });
    const accountId = account.id;
    const cases: [string, () => Promise<unknown>][] = [
      ['orders: not a cursor', () => c.orders.list.query({ accountId, status: 'all', before: 'nonsense' })],
      [
        'orders: not an order id',
        () => c.orders.list.query({ accountId, status: 'all', before: '1700000000000:x' }),
      ],
      ['fills: not a fill id', () => c.fills.list.query({ accountId, before: '1700000000000:zz' })],
      [
        'fills: time out of range',
        () => c.fills.list.query({ accountId, before: `9999999999999999:${randomUUID()}:1` }),
      ],
      ['ledger: past int8', () => c.paperAccounts.ledger.query({ accountId, before: '9999999999999999999' })],
      ['ledger: not a number', () => c.paperAccounts.ledger.query({ accountId, before: '12abc' })],
      [
        'candles: time out of range',
        () => c.market.candles.query({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m', before: 9e15 }),
      ],
    ];
    for (const [what, call] of cases) {
      const data = await errorDataOf(call());
      expect({ what, appCode: data.appCode, httpStatus: data.httpStatus }).toEqual({
        what,
        appCode: 'INVALID_CURSOR',
        httpStatus: 400,
      });
    }
    // A cursor the API itself returned still works.
    const ledger = await c.paperAccounts.ledger.query({ accountId, before: '1' });
    expect(ledger.items).toEqual([]);
  });
});

describe('WebSocket errors', () => {
  it('answers another tenant’s id in a subscription with a 404-class NOT_FOUND', async () => {
    const owner = await member(t);
    const stranger = await member(t);
    const theirs = await t.client(stranger.token).paperAccounts.create.mutate({ name: 'theirs' });
    const ws = t.wsClient(owner.token);
    try {
      const error = await new Promise<unknown>((resolve) => {
        ws.client.orders.onUpdate.subscribe(
          { accountId: theirs.id },
          { onData: () => resolve(new Error('got data')), onError: resolve },
        );
      });
      expect(error).toBeInstanceOf(TRPCClientError);
      expect((error as TRPCClientError<never>).data).toMatchObject({
        appCode: 'NOT_FOUND',
        code: 'NOT_FOUND',
        httpStatus: 404,
      });
    } finally {
      await ws.close();
    }
  });

  it('caps the subscriptions of one connection at 50 with SUBSCRIPTION_LIMIT, and frees a slot when one stops', async () => {
    const owner = await member(t);
    const account = await t.client(owner.token).paperAccounts.create.mutate({ name: 'many' });
    const ws = t.wsClient(owner.token);
    try {
      const subs: { unsubscribe(): void }[] = [];
      const started: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        started.push(
          new Promise<void>((resolve, reject) => {
            subs.push(
              ws.client.paperAccounts.onBalances.subscribe(
                { accountId: account.id },
                { onStarted: () => resolve(), onError: reject },
              ),
            );
          }),
        );
      }
      await Promise.all(started);
      const refused = await new Promise<unknown>((resolve) => {
        ws.client.paperAccounts.onBalances.subscribe(
          { accountId: account.id },
          { onStarted: () => resolve(new Error('the 51st started')), onError: resolve },
        );
      });
      expect((refused as TRPCClientError<never>).data).toMatchObject({
        appCode: 'SUBSCRIPTION_LIMIT',
        httpStatus: 429,
      });
      // Stopping one gives its slot back.
      subs[0]?.unsubscribe();
      const deadline = Date.now() + 15_000;
      let again: unknown;
      do {
        again = await new Promise<unknown>((resolve) => {
          const sub = ws.client.paperAccounts.onBalances.subscribe(
            { accountId: account.id },
            { onStarted: () => resolve('started'), onError: resolve },
          );
          subs.push(sub);
        });
      } while (again !== 'started' && Date.now() < deadline);
      expect(again).toBe('started');
    } finally {
      await ws.close();
    }
  });
});

describe('dependencies down', () => {
  let db: TestDatabase;
  let pgProxy: CuttableProxy;
  let redisProxy: CuttableProxy;
  let outage: TestEngine;

  beforeAll(async () => {
    db = await createTestDatabase();
    const pg = new URL(db.url);
    pgProxy = await CuttableProxy.start(pg.hostname, Number(pg.port || 5432));
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(pgProxy.port);
    const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redisProxy = await CuttableProxy.start(redis.hostname, Number(redis.port || 6379));
    redis.hostname = '127.0.0.1';
    redis.port = String(redisProxy.port);
    outage = await startTestEngine({ databaseUrl: viaProxy.toString(), redisUrl: redis.toString() });
  });
  afterAll(async () => {
    pgProxy?.restore();
    redisProxy?.restore();
    await outage?.stop();
    await pgProxy?.close();
    await redisProxy?.close();
    await db?.drop();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the database is unreachable', async () => {
    const owner = await member(outage);
    const { secret } = await outage
      .client(owner.token)
      .apiKeys.create.mutate({ name: 'k', scopes: ['read'] });
    pgProxy.cut();
    try {
      // A key not verified yet (the credential cache cannot answer): authentication needs the database.
      await outage.engine.api.credentialCache?.invalidate();
      const res = await fetch(`${outage.url}/accounts.me`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      const body = (await res.json()) as { error: { message: string; data: { appCode: string } } };
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(body.error.data.appCode).toBe('SERVICE_UNAVAILABLE');
      expect(body.error.message).toMatch(/database/i);
    } finally {
      pgProxy.restore();
    }
    // Back: the same call works again (the pool reconnects).
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await fetch(`${outage.url}/accounts.me`, { headers: { authorization: `Bearer ${secret}` } }))
        .status;
    }
    expect(status).toBe(200);
  });

  it('says what is unavailable, for what, when Redis is down: not "Sign-in"', async () => {
    const owner = await member(outage);
    redisProxy.cut();
    try {
      const data = await errorDataOf(outage.client(owner.token).accounts.me.query());
      expect(data.appCode).toBe('SERVICE_UNAVAILABLE');
      const res = await fetch(`${outage.url}/accounts.me`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      const body = (await res.json()) as { error: { message: string } };
      expect(res.status).toBe(503);
      expect(body.error.message).not.toMatch(/sign-in/i);
      expect(body.error.message).toMatch(/Redis/);
      expect(res.headers.get('retry-after')).not.toBeNull();
    } finally {
      redisProxy.restore();
    }
  });
});
