import { createServer } from 'node:net';
import { createBinanceAdapter } from '@qt/market-data';
import { AppError, liveClock } from '@qt/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startFeeds } from '../../src/market/ingest/feed-supervisor.ts';
import type { TradePublisher } from '../../src/market/ingest/trade-publisher.ts';
import type { InstrumentCatalog } from '../../src/market/instruments/instrument-catalog.ts';

// A follow that lands after stop() (its database work outlived the shutdown) must not open a feed for a
// venue that had none: nothing would ever stop its sockets and timers.

/** A WebSocket base where nothing listens (connects are refused: no network, no venue needed). */
async function refusedBase(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

async function supervisor() {
  const base = await refusedBase();
  return startFeeds({
    venues: [{ adapter: createBinanceAdapter(), wsEndpoints: [base], restEndpoints: [] }],
    // Nothing configured is listed: the venue starts without a feed.
    symbols: ['BTC-USDT'],
    catalog: { get: () => undefined } as unknown as InstrumentCatalog,
    clock: liveClock,
    logger: pino({ level: 'silent' }),
    publisher: { push: () => {} } as unknown as TradePublisher,
  });
}

describe('feed supervisor follow and stop', () => {
  it('a follow before stop opens a feed for the venue, and stop stops it', async () => {
    const feeds = await supervisor();
    expect(feeds.status()).toEqual([]);
    feeds.follow('binance', 'ETH-USDT');
    expect(feeds.status().map((s) => s.symbols)).toEqual([['ETH-USDT']]);
    await feeds.stop();
    expect(feeds.status().map((s) => s.state)).toEqual(['stopped']);
  });

  it('a follow after stop is refused (SERVICE_UNAVAILABLE) and opens nothing', async () => {
    const feeds = await supervisor();
    await feeds.stop();
    let err: unknown;
    try {
      feeds.follow('binance', 'ETH-USDT');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('SERVICE_UNAVAILABLE');
    expect(feeds.status()).toEqual([]);
  });

  it('a follow issued while stop is under way is refused too', async () => {
    const feeds = await supervisor();
    feeds.follow('binance', 'ETH-USDT');
    const stopping = feeds.stop();
    expect(() => feeds.follow('binance', 'SOL-USDT')).toThrow(AppError);
    await stopping;
    expect(feeds.status().map((s) => [s.state, s.symbols])).toEqual([['stopped', ['ETH-USDT']]]);
  });
});
