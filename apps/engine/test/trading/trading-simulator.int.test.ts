import { AMOUNT_SCALE, parseScaled, type Quote } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../bus/bus-contract.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { balanceOf } from './trading-fixtures.ts';

/**
 * Paper trading on the simulator's market, end to end: simulator -> feeds -> bus (trades) and in-process
 * quotes -> matcher -> ledger -> PostgreSQL -> API.
 */
describe('paper trading on the simulator market', () => {
  let t: TestEngine;
  let token: string;

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: 40,
      marketSymbols: ['BTC-USDT'],
    });
    token = (await t.signUp('sim-trader')).token;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves the best bid/ask: market.quote, and market.onQuote conflated to at most ~10 a second', async () => {
    const client = t.client(token);
    await waitFor(() => t.engine.trading.service.hasMarket('binance', 'BTC-USDT'), 20_000, 'market data');
    const q = await client.market.quote.query({ venue: 'binance', symbol: 'BTC-USDT' });
    expect(q).toMatchObject({ venue: 'binance', symbol: 'BTC-USDT' });
    expect(parseScaled(q?.bidPrice ?? '0', AMOUNT_SCALE)).toBeGreaterThan(0n);
    expect(parseScaled(q?.bidPrice ?? '0', AMOUNT_SCALE)).toBeLessThan(
      parseScaled(q?.askPrice ?? '0', AMOUNT_SCALE),
    );
    expect(await appCodeOf(client.market.quote.query({ venue: 'binance', symbol: 'NOPE-USDT' }))).toBe(
      'MARKET_UNKNOWN_INSTRUMENT',
    );

    const ws = t.wsClient(token);
    const got: { q: Quote; at: number }[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const sub = ws.client.market.onQuote.subscribe(
          { venue: 'binance', symbol: 'BTC-USDT' },
          {
            onData: (quote) => {
              got.push({ q: quote, at: performance.now() });
              if (got.length === 6) {
                sub.unsubscribe();
                resolve();
              }
            },
            onError: reject,
          },
        );
      });
    } finally {
      await ws.close();
    }
    expect(got.every((g) => g.q.venue === 'binance' && g.q.symbol === 'BTC-USDT')).toBe(true);
    // The first is the current quote, then one per 100 ms at most: five pushes span >= 500 ms on the
    // server. Measured here, one push's delivery delay can shorten a single gap, not the whole span.
    const span = (got[5] as { at: number }).at - (got[0] as { at: number }).at;
    expect(span).toBeGreaterThanOrEqual(400);
  });

  it('fills a market buy from the live quote and books it', async () => {
    const client = t.client(token);
    const account = await client.paperAccounts.create.mutate({ name: 'sim' });
    await client.paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '100000' });
    const instrument = t.engine.market?.catalog.get('binance', 'BTC-USDT');
    expect(instrument).toBeDefined();
    // Wait (bounded) for trades (bus) and a quote (in-process) to reach the trading service.
    await waitFor(() => t.engine.trading.service.hasMarket('binance', 'BTC-USDT'), 20_000, 'market data');
    const order = await client.orders.place.mutate({
      accountId: account.id,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.01',
    });
    expect(order.status).toBe('filled');
    expect(order.filledQuantity).toBe('0.01');
    const balances = await client.paperAccounts.balances.query({ accountId: account.id });
    expect(balanceOf(balances, 'BTC').free).toBe(order.filledQuantity);
    const fills = await client.fills.list.query({ accountId: account.id });
    // The quote's top may not hold it all: the rest walks the modelled depth, in more fills.
    expect(fills.items.length).toBeGreaterThan(0);
    expect(fills.items.every((f) => f.orderId === order.id && f.liquidity === 'taker')).toBe(true);
    const total = fills.items.reduce((sum, f) => sum + parseScaled(f.quantity, AMOUNT_SCALE), 0n);
    expect(total).toBe(parseScaled('0.01', AMOUNT_SCALE));
  });
});
