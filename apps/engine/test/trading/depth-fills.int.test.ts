import { AMOUNT_SCALE, formatScaled, parseScaled } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepthService } from '../../src/market/depth/depth-service.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { tenantOf } from '../limits/limits-fixtures.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * Paper market orders against the live L2 book, end to end on the simulator: simulator book -> depth
 * feed -> synchroniser -> DepthService.liveBook -> matcher walk -> ledger -> fills API. A market buy
 * larger than the best ask's size must fill at the book's ask levels, not at modelled ones.
 */
const SYMBOL = 'BTC-USDT';
const RATE = 40;
const ATTEMPTS = 5;
const u = (s: string) => parseScaled(s, AMOUNT_SCALE);

describe('paper market orders fill against the live book (simulator)', () => {
  let t: TestEngine;
  let depth: DepthService;

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: RATE,
      marketSymbols: [SYMBOL],
      marketDepthLevels: 20,
    });
    depth = t.engine.market?.depth as DepthService;
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  const sim = () => {
    const s = t.engine.market?.simulator;
    if (!s) throw new Error('no simulator');
    return s;
  };
  const synced = () =>
    waitFor(() => depth.liveBook('binance', SYMBOL) !== null, 30_000, 'binance book synced');

  /** Drops the venue's sockets: the book is reset, then rebuilt from a snapshot on the new socket. */
  async function resetBook(): Promise<void> {
    const resets = depth.bookResets('binance', SYMBOL);
    const version = depth.bookVersion('binance', SYMBOL);
    sim().faults.dropConnections('binance');
    await waitFor(() => depth.bookResets('binance', SYMBOL) > resets, 10_000, 'reset on socket loss');
    expect(depth.bookVersion('binance', SYMBOL)).toBeGreaterThan(version);
    const lost = depth.bookResets('binance', SYMBOL);
    const lostVersion = depth.bookVersion('binance', SYMBOL);
    await synced();
    // The snapshot that made it live again moved both numbers once more.
    expect(depth.bookResets('binance', SYMBOL)).toBeGreaterThan(lost);
    expect(depth.bookVersion('binance', SYMBOL)).toBeGreaterThan(lostVersion);
  }

  it('counts a socket loss and the next snapshot as book resets (and versions)', async () => {
    await synced();
    await resetBook();
  }, 60_000);

  it('walks the ask levels of the book read just before, best first', async () => {
    // ENTERPRISE: the walk's notional may pass a FREE tier's order limit.
    const { client } = await tenantOf(t, 'ENTERPRISE');
    const account = await client.paperAccounts.create.mutate({ name: 'depth' });
    const instrument = t.engine.market?.catalog.get('binance', SYMBOL);
    const lot = u(instrument?.lotSize ?? '0');
    expect(lot).toBeGreaterThan(0n);
    await waitFor(() => t.engine.trading.service.hasMarket('binance', SYMBOL), 20_000, 'market data');
    await synced();

    // Freeze the market so the book read over the API is the one the order meets. Should it still move
    // in between, the attempt does not count: the book is reset (our takes forgotten) and read again.
    sim().faults.setRate(0);
    try {
      const served = async () => client.market.depth.query({ venue: 'binance', symbol: SYMBOL, levels: 20 });
      const live = () => depth.liveBook('binance', SYMBOL)?.top('ask', 20) ?? [];
      for (let attempt = 1; ; attempt++) {
        await client.paperAccounts.deposit.mutate({
          accountId: account.id,
          asset: 'USDT',
          amount: '2500000',
        });
        // What market.depth serves is published every 100 ms: wait until it shows the live book.
        await waitFor(
          () => {
            const d = depth.latest('binance', SYMBOL, 20);
            return d?.status === 'synced' && JSON.stringify(d.asks) === JSON.stringify(live());
          },
          20_000,
          'served book equal to the live book',
        );
        const before = await served();
        expect(before?.status).toBe('synced');
        const version = depth.bookVersion('binance', SYMBOL);
        const asks = (before?.asks ?? []).map((l) => ({ price: u(l.price), quantity: u(l.quantity) }));
        expect(asks.length).toBeGreaterThanOrEqual(3);
        const [a1, a2, a3] = asks as [(typeof asks)[0], (typeof asks)[0], (typeof asks)[0]];
        // Two whole levels and half the third (whole lots): more than the best ask's size.
        const half = (a3.quantity / 2n / lot) * lot;
        const third = half > 0n ? half : a3.quantity;
        const quantity = a1.quantity + a2.quantity + third;
        expect(quantity).toBeGreaterThan(a1.quantity);
        expect((quantity * a3.price) / 10n ** 36n).toBeLessThan(2_000_000n); // within ENTERPRISE's order limit

        // The simulator prints trades through levels its book keeps showing; the matcher then (rightly)
        // takes nothing better than that trade until the next quote, which a frozen simulator never sends.
        // The quote the venue would send for this book makes the matcher's top the book's best ask again.
        const bid = before?.bids[0];
        const ask = before?.asks[0];
        if (!bid || !ask) throw new Error('no top of book');
        const now = Date.now();
        t.engine.trading.onQuote({
          venue: 'binance',
          symbol: SYMBOL,
          bidPrice: bid.price,
          bidSize: bid.quantity,
          askPrice: ask.price,
          askSize: ask.quantity,
          exchangeTime: now,
          receiveTime: now,
        });
        const order = await client.orders.place.mutate({
          accountId: account.id,
          venue: 'binance',
          symbol: SYMBOL,
          side: 'buy',
          type: 'market',
          quantity: formatScaled(quantity, AMOUNT_SCALE),
        });
        expect(order.status).toBe('filled');
        const moved = depth.bookVersion('binance', SYMBOL) !== version;
        const fills = (await client.fills.list.query({ accountId: account.id })).items
          .filter((f) => f.orderId === order.id)
          .map((f) => ({ price: u(f.price), quantity: u(f.quantity), liquidity: f.liquidity }))
          .sort((x, y) => (x.price < y.price ? -1 : x.price > y.price ? 1 : 0));
        expect(fills.reduce((s, f) => s + f.quantity, 0n)).toBe(quantity);
        expect(fills.every((f) => f.liquidity === 'taker')).toBe(true);
        if (!moved) {
          // The book did not change between the read and the order: exactly its first three levels.
          expect(fills).toEqual([
            { price: a1.price, quantity: a1.quantity, liquidity: 'taker' },
            { price: a2.price, quantity: a2.quantity, liquidity: 'taker' },
            { price: a3.price, quantity: third, liquidity: 'taker' },
          ]);
          return;
        }
        expect(attempt, 'the frozen book kept moving').toBeLessThan(ATTEMPTS);
        await resetBook();
      }
    } finally {
      sim().faults.setRate(RATE);
    }
  }, 180_000);
});
