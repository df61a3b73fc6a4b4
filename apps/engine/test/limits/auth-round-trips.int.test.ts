import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { apiKeyFor } from './limit-helpers.ts';

const REDIS_URL = process.env.REDIS_URL;

/**
 * What one authenticated call costs in round trips once its credential was verified a moment ago (the
 * credential cache is warm): the credential-attempt check, the credential cache's generation and the
 * tier budgets are ONE Redis command (the limiter's script reads the other two keys), and no PostgreSQL
 * query is made for authentication (the tenant's limit overrides are refreshed at most once a second,
 * off the call's path: not counted). Counted by wrapping ioredis's `sendCommand` and pg's `Client.query`
 * in this process, where the engine runs.
 */
describe.runIf(REDIS_URL)('round trips of an authenticated call with a warm credential', () => {
  let t: TestEngine;
  let redisCommands: string[] = [];
  let sql: string[] = [];
  const sendCommand = Redis.prototype.sendCommand;
  const query = pg.Client.prototype.query;

  let plain: TestEngine;

  beforeAll(async () => {
    t = await startTestEngine({ rateLimits: true });
    plain = await startTestEngine({ rateLimits: false });
    Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof sendCommand>) {
      const command = args[0];
      // The WebSocket server polls the credential generation (GET, every 250 ms): not a call's.
      const poll = command?.name === 'get' && String(command.args[0]).endsWith(':auth:generation');
      if (!poll) redisCommands.push(String(command?.name));
      return sendCommand.apply(this, args);
    };
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text?: string };
      sql.push(typeof q === 'string' ? q : (q?.text ?? ''));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  afterAll(async () => {
    Redis.prototype.sendCommand = sendCommand;
    pg.Client.prototype.query = query;
    await t?.stop();
    await plain?.stop();
  });

  /** Runs `calls` sequential calls after one that warms the cache; the commands and queries they made. */
  async function count(call: () => Promise<unknown>, calls: number) {
    await call();
    await call();
    redisCommands = [];
    sql = [];
    for (let i = 0; i < calls; i++) await call();
    // Only what authentication reads (credentials, memberships, people) and the procedure's own reads;
    // the engine's background jobs (alert delivery, usage flushes) poll meanwhile, and the tenant's limit
    // overrides are re-read once a second, served stale meanwhile: not per call.
    const perCall = sql.filter(
      (q) => /"(api_keys|memberships|users|tenants)"/.test(q) && !/limit_overrides/.test(q),
    );
    return { redis: [...redisCommands], sql: perCall };
  }

  it('an API key: one Redis command (the limiter script) and no query', async () => {
    const owner = await t.signUp('rt-key');
    const key = await apiKeyFor(t, owner.token, ['read']);
    const client = t.client(key);
    const calls = 20;
    // accounts.me makes no query of its own for an API key.
    const { redis, sql } = await count(() => client.accounts.me.query(), calls);
    expect(redis.length, redis.join(' ')).toBe(calls);
    expect(new Set(redis)).toEqual(new Set(['evalsha']));
    expect(sql).toEqual([]);
  });

  it('a session token: one Redis command and only the procedure’s own query', async () => {
    const owner = await t.signUp('rt-session');
    const client = t.client(owner.token);
    const calls = 20;
    // accounts.me reads the person (one query of its own for a session); authentication adds none.
    const { redis, sql } = await count(() => client.accounts.me.query(), calls);
    expect(redis.length, redis.join(' ')).toBe(calls);
    expect(new Set(redis)).toEqual(new Set(['evalsha']));
    expect(sql.length, sql.join('\n')).toBe(calls);
    expect(sql.every((q) => /FROM "public"."users"/.test(q) && !/memberships/.test(q))).toBe(true);
  });

  it('without the request limiter: one Redis command (authentication reads both keys at once)', async () => {
    const owner = await plain.signUp('rt-plain');
    const key = await apiKeyFor(plain, owner.token, ['read']);
    const client = plain.client(key);
    const calls = 20;
    const { redis, sql } = await count(() => client.accounts.me.query(), calls);
    expect(redis.length, redis.join(' ')).toBe(calls);
    expect(new Set(redis)).toEqual(new Set(['evalsha']));
    expect(sql).toEqual([]);
  });

  it('a blocked address is refused with a cached credential, before the procedure runs', async () => {
    const owner = await t.signUp('rt-blocked');
    const key = await apiKeyFor(t, owner.token, ['read', 'manage']);
    const address = '198.51.100.70';
    const from = (credential: string) => t.client(credential, { 'x-forwarded-for': address });
    // Verified and cached: the next calls take the one-command path.
    await from(key).apiKeys.list.query();
    expect((await from(key).apiKeys.list.query()).length).toBe(1);
    // 30 failures block the address (the credential limit is 30 per minute per address).
    const guesses = await Promise.all(
      Array.from({ length: 31 }, (_, i) =>
        appCodeOf(from(`qt_${String(i).padStart(12, 'B')}_${'d'.repeat(32)}`).accounts.me.query()),
      ),
    );
    expect(guesses.filter((c) => c === 'AUTH_API_KEY_INVALID').length).toBe(30);
    // The block itself is one more Redis write, which a loaded host can time out (it is then only "all
    // points spent", which refuses new guesses but not a cached key): one more counted failure puts the
    // count over the limit either way, which is what a block is.
    await t.engine.api.limiters.credential.recordFailure(`ip:${address}`).catch(() => undefined);
    // The good, cached key from the blocked address: refused, and the mutation did not run.
    expect(await appCodeOf(from(key).apiKeys.create.mutate({ name: 'x', scopes: ['read'] }))).toBe(
      'AUTH_TOO_MANY_ATTEMPTS',
    );
    expect(await appCodeOf(from(key).accounts.me.query())).toBe('AUTH_TOO_MANY_ATTEMPTS');
    // From another address the key works, and no second key was created.
    expect((await t.client(key, { 'x-forwarded-for': '198.51.100.71' }).apiKeys.list.query()).length).toBe(1);
  });

  it('a cached key revoked on this engine is refused at its next call', async () => {
    const owner = await t.signUp('rt-revoked');
    const created = await t.client(owner.token).apiKeys.create.mutate({ name: 'k', scopes: ['read'] });
    const client = t.client(created.secret);
    await client.accounts.me.query();
    await client.accounts.me.query();
    await t.client(owner.token).apiKeys.revoke.mutate({ id: created.apiKey.id });
    expect(await appCodeOf(client.accounts.me.query())).toBe('AUTH_API_KEY_REVOKED');
  });
});
