import { type ExchangeSim, startExchangeSim, type Venue } from '@qt/exchange-sim';
import { liveClock, type Trade } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeed, type Feed } from '../../src/feed/create-feed.ts';
import { createBinanceAdapter } from '../../src/venues/binance/binance-adapter.ts';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';
import type { VenueAdapter } from '../../src/venues/venue-adapter.ts';
import { recordingLogger, waitFor } from './fake-venue.ts';

// A market followed after start (`Feed.addSymbols`): subscribed on the live socket with the venue's own
// subscribe request, kept across a reconnect, and a new connection when the live ones are full.
const adapters: Record<Venue, () => VenueAdapter> = {
  binance: () => createBinanceAdapter(),
  okx: () => createOkxAdapter(),
  bybit: () => createBybitAdapter(),
};

let sim: ExchangeSim;
beforeAll(async () => {
  sim = await startExchangeSim({
    endpoints: 1,
    symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'LINK-USDT'],
    tradesPerSecond: 40,
    seed: 11,
  });
});
afterAll(async () => {
  await sim?.stop();
});

describe.each(['binance', 'okx', 'bybit'] as const)('%s feed follows symbols at run time', (venue) => {
  let feed: Feed;
  const trades: Trade[] = [];
  const { logger } = recordingLogger();
  const seen = (symbol: string, from = 0) => trades.slice(from).some((t) => t.symbol === symbol);

  beforeAll(() => {
    feed = createFeed({
      adapter: adapters[venue](),
      symbols: ['BTC-USDT'],
      channels: ['trades'],
      endpoints: [sim.urls[0]?.[venue].ws ?? ''],
      clock: liveClock,
      logger,
      // Two subscriptions per connection: the third symbol must open a connection of its own.
      options: {
        maxSubscriptionsPerConnection: 2,
        checkIntervalMs: 20,
        backoff: { initialMs: 20, maxMs: 200 },
      },
      onTrades: (batch) => trades.push(...batch),
    });
    feed.start();
  });
  afterAll(async () => {
    await feed?.stop();
  });

  it('subscribes an added symbol on the open socket, then on a new connection when full', async () => {
    await waitFor(() => feed.status()[0]?.state === 'live' && seen('BTC-USDT'), 10_000);
    expect(seen('ETH-USDT')).toBe(false);

    expect(feed.addSymbols(['ETH-USDT', 'BTC-USDT'])).toEqual(['ETH-USDT']);
    await waitFor(() => seen('ETH-USDT'), 10_000);
    // Same socket: no new connection for the first added symbol (room for two).
    expect(feed.status().map((s) => s.connectionId)).toEqual([`${venue}-1`]);
    expect(feed.status()[0]?.symbols).toEqual(['BTC-USDT', 'ETH-USDT']);

    expect(feed.addSymbols(['SOL-USDT'])).toEqual(['SOL-USDT']);
    await waitFor(() => seen('SOL-USDT'), 10_000);
    expect(feed.status().map((s) => s.connectionId)).toEqual([`${venue}-1`, `${venue}-2`]);
    expect(feed.addSymbols(['SOL-USDT'])).toEqual([]);
  });

  it('keeps an added symbol across a reconnect', async () => {
    sim.faults.dropConnections(venue);
    await waitFor(() => feed.status().every((s) => s.reconnects > 0 && s.state === 'live'), 10_000);
    const from = trades.length;
    await waitFor(() => seen('ETH-USDT', from) && seen('SOL-USDT', from), 10_000);
  });
});
