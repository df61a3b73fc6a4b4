import { ManualClock } from '@qt/shared';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { btc, trade } from './trading-fixtures.ts';

type Client = ReturnType<TestEngine['client']>;

/** The stable code and HTTP status a call failed with. */
async function failure(call: Promise<unknown>): Promise<{ appCode: unknown; httpStatus: unknown }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    const data = err.data as { appCode?: unknown; httpStatus?: unknown } | undefined;
    return { appCode: data?.appCode, httpStatus: data?.httpStatus };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

const HUGE = `1${'0'.repeat(25)}`; // 10^25: a valid decimal for the API, beyond numeric(38,18)

/**
 * Hostile or careless trading input through the engine's HTTP API: every refusal is a 4xx with a
 * stable code, never a 500 from the database, and an order on an unknown instrument is refused as such
 * before anything about the account (its balance) is looked at.
 */
describe('trading input errors through the API', () => {
  let t: TestEngine;
  let clock: ManualClock;
  let c: Client;
  let funded: string;
  let empty: string;

  const limitBuy = (accountId: string, over: Record<string, unknown> = {}) => ({
    accountId,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side: 'buy' as const,
    type: 'limit' as const,
    quantity: '0.01',
    price: '49000',
    ...over,
  });

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    t = await startTestEngine({}, clock);
    t.engine.trading.service.setInstrument(btc);
    t.engine.trading.service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
    c = t.client((await t.signUp('input')).token);
    funded = (await c.paperAccounts.create.mutate({ name: 'funded' })).id;
    empty = (await c.paperAccounts.create.mutate({ name: 'empty' })).id;
    await c.paperAccounts.deposit.mutate({ accountId: funded, asset: 'USDT', amount: '1000' });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('refuses a deposit larger than the stored amounts with VALUE_OUT_OF_RANGE (400), not a 500', async () => {
    expect(
      await failure(c.paperAccounts.deposit.mutate({ accountId: funded, asset: 'USDT', amount: HUGE })),
    ).toEqual({ appCode: 'VALUE_OUT_OF_RANGE', httpStatus: 400 });
    expect(
      await failure(c.paperAccounts.withdraw.mutate({ accountId: funded, asset: 'USDT', amount: HUGE })),
    ).toEqual({ appCode: 'VALUE_OUT_OF_RANGE', httpStatus: 400 });
  });

  it('refuses a deposit whose sum with the balance would not fit, and keeps the balance', async () => {
    const max = '99999999999999999999';
    await c.paperAccounts.deposit.mutate({ accountId: empty, asset: 'BTC', amount: max });
    expect(
      await failure(c.paperAccounts.deposit.mutate({ accountId: empty, asset: 'BTC', amount: '1' })),
    ).toEqual({
      appCode: 'VALUE_OUT_OF_RANGE',
      httpStatus: 400,
    });
    const balances = await c.paperAccounts.balances.query({ accountId: empty });
    expect(balances.find((b) => b.asset === 'BTC')?.free).toBe(max);
    await c.paperAccounts.withdraw.mutate({ accountId: empty, asset: 'BTC', amount: max });
  });

  it('refuses an order quantity larger than the stored amounts with VALUE_OUT_OF_RANGE', async () => {
    clock.advance(1_000);
    expect(
      await failure(
        c.orders.place.mutate(limitBuy(funded, { side: 'sell', quantity: HUGE, price: '50000' })),
      ),
    ).toEqual({ appCode: 'VALUE_OUT_OF_RANGE', httpStatus: 400 });
  });

  it('answers MARKET_UNKNOWN_INSTRUMENT for an unknown symbol or venue before any balance check', async () => {
    clock.advance(1_000);
    // The empty account could not pay for it: the instrument is what the caller must hear about.
    for (const over of [{ symbol: 'NOPE-USDT' }, { venue: 'kraken' }, { type: 'market', price: undefined }]) {
      const input = limitBuy(empty, over);
      if (over.type === 'market') input.symbol = 'NOPE-USDT';
      expect(
        (await failure(c.orders.place.mutate(input as Parameters<Client['orders']['place']['mutate']>[0])))
          .appCode,
      ).toBe('MARKET_UNKNOWN_INSTRUMENT');
    }
  });

  it('types amounts with too many decimals and NUL bytes as validation errors (400)', async () => {
    clock.advance(1_000);
    const bad = { appCode: 'VALIDATION_FAILED', httpStatus: 400 };
    const nineteen = '0.0000000000000000001';
    expect(
      await failure(c.paperAccounts.deposit.mutate({ accountId: funded, asset: 'USDT', amount: nineteen })),
    ).toEqual(bad);
    expect(await failure(c.orders.place.mutate(limitBuy(funded, { quantity: nineteen })))).toEqual(bad);
    expect(
      await failure(c.paperAccounts.deposit.mutate({ accountId: funded, asset: 'USDT', amount: '1\u0000' })),
    ).toEqual(bad);
    expect(await failure(c.orders.place.mutate(limitBuy(funded, { price: '49000\u0000' })))).toEqual(bad);
    expect(await failure(c.orders.place.mutate(limitBuy(funded, { clientOrderId: 'a\u0000b' })))).toEqual(
      bad,
    );
    expect(await failure(c.paperAccounts.create.mutate({ name: 'nul\u0000name' }))).toEqual(bad);
    // Nothing of the above moved money.
    const balances = await c.paperAccounts.balances.query({ accountId: funded });
    expect(balances.find((b) => b.asset === 'USDT')).toMatchObject({ free: '1000', locked: '0' });
  });
});
