import { type ExchangeSim, startExchangeSim, type Venue } from '@qt/exchange-sim';
import { type FeedStatus, instrumentSchema, liveClock, type Trade } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeed, type Feed } from '../../src/feed/create-feed.ts';
import type { FeedEvent } from '../../src/feed/feed-events.ts';
import { createBinanceAdapter } from '../../src/venues/binance/binance-adapter.ts';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';
import { fetchInstruments } from '../../src/venues/fetch-instruments.ts';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';
import type { VenueAdapter } from '../../src/venues/venue-adapter.ts';
import { recordingLogger, waitFor } from './fake-venue.ts';

const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];
const adapters: Record<Venue, () => VenueAdapter> = {
  binance: () => createBinanceAdapter(),
  okx: () => createOkxAdapter(),
  bybit: () => createBybitAdapter(),
};

let sim: ExchangeSim;
beforeAll(async () => {
  sim = await startExchangeSim({
    endpoints: 2,
    symbols,
    tradesPerSecond: 40,
    seed: 7,
    timing: {
      binancePingIntervalMs: 100,
      shutdownCloseDelayMs: 400,
      okxIdleTimeoutMs: 2000,
      bybitIdleTimeoutMs: 2000,
    },
  });
});
afterAll(async () => {
  await sim?.stop();
});

describe.each(['binance', 'okx', 'bybit'] as const)('%s connector against @qt/exchange-sim', (venue) => {
  let feed: Feed;
  const trades: Trade[] = [];
  const events: FeedEvent[] = [];
  const { lines, logger } = recordingLogger();
  const state = () => feed.status()[0] as FeedStatus;
  const tradesSince = (n: number, symbol: string) => trades.slice(n).some((t) => t.symbol === symbol);
  const endpointOf = (base: string) => sim.urls.findIndex((u) => u[venue].ws === base);

  beforeAll(async () => {
    feed = createFeed({
      adapter: adapters[venue](),
      symbols,
      endpoints: sim.urls.map((u) => u[venue].ws),
      clock: liveClock,
      logger,
      options: {
        staleAfterMs: 500,
        heartbeatIntervalMs: 100,
        backoff: { initialMs: 20, maxMs: 200 },
        checkIntervalMs: 20,
        gapGraceMs: 200,
        ackTimeoutMs: 1000,
      },
      onTrades: (batch) => trades.push(...batch),
      onEvent: (e) => events.push(e),
    });
    feed.start();
  });
  afterAll(async () => {
    await feed?.stop();
  });

  it('fetches instruments over REST', async () => {
    const adapter = adapters[venue]();
    const instruments = await fetchInstruments(adapter, {
      restEndpoints: [sim.urls[0]?.[venue].rest ?? ''],
      timeoutMs: 2000,
    });
    expect(instruments.map((i) => i.symbol).sort()).toEqual(expect.arrayContaining(symbols));
    for (const i of instruments) expect(instrumentSchema.parse(i)).toBeTruthy();
  });

  it('receives trades for every symbol', async () => {
    await waitFor(() => symbols.every((s) => tradesSince(0, s)), 5000, 'trades for all symbols');
    expect(state().state).toBe('live');
    expect(state().lastError).toBeNull();
  });

  it('drops duplicated trades', async () => {
    const before = feed.sequenceStats().duplicates;
    sim.faults.duplicateTrades(venue, 'BTC-USDT', 5);
    // OKX repeats whole taker-order messages whose entries aggregate several ids: fewer records than ids.
    const expected = venue === 'okx' ? 1 : 5;
    await waitFor(() => feed.sequenceStats().duplicates >= before + expected, 5000, 'duplicates dropped');
    const ids = trades.filter((t) => t.symbol === 'BTC-USDT').map((t) => t.tradeId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it(
    venue === 'bybit' ? 'cannot see skipped ids (no sequential ids)' : 'reports skipped trade ids as a gap',
    async () => {
      const gapsBefore = events.filter((e) => e.type === 'gapDetected').length;
      const n = trades.length;
      sim.faults.skipTradeIds(venue, 'ETH-USDT', 7);
      await waitFor(
        () => trades.slice(n).filter((t) => t.symbol === 'ETH-USDT').length >= 3,
        5000,
        'trades after skip',
      );
      // A gap is reported once it is still open after the grace period.
      await waitFor(() => feed.sequenceStats().pending === 0, 5000, 'no gap in its grace period');
      const gaps = events.filter((e) => e.type === 'gapDetected').slice(gapsBefore);
      if (venue === 'bybit') expect(gaps).toEqual([]);
      else expect(gaps).toMatchObject([{ gap: { symbol: 'ETH-USDT', missing: 7 } }]);
    },
  );

  it('counts malformed frames and carries on', async () => {
    const before = state().malformed;
    sim.faults.sendMalformed(venue, 'garbage');
    sim.faults.sendMalformed(venue, 'truncated');
    await waitFor(() => state().malformed >= before + 2, 3000, 'malformed counted');
    const n = trades.length;
    await waitFor(() => trades.length > n, 3000, 'more trades');
    expect(lines.some((l) => l.msg.includes('ignored'))).toBe(true);
  });

  it('reconnects on the other endpoint after a drop and resubscribes every symbol', async () => {
    const from = endpointOf(state().endpoint);
    const reconnects = state().reconnects;
    sim.faults.dropConnections(venue, { endpoint: from });
    await waitFor(() => state().reconnects > reconnects && state().state === 'live', 5000, 'live again');
    expect(endpointOf(state().endpoint)).toBe(1 - from);
    const n = trades.length;
    await waitFor(() => symbols.every((s) => tradesSince(n, s)), 5000, 'all symbols after reconnect');
  });

  it('fails over when an endpoint refuses connections', async () => {
    const from = endpointOf(state().endpoint);
    const reconnects = state().reconnects;
    // The other endpoint refuses for a while: the drop must land back on this one.
    sim.faults.refuseConnections(venue, 1500, { endpoint: 1 - from });
    sim.faults.dropConnections(venue, { endpoint: from, code: 1001 });
    await waitFor(
      () => state().reconnects >= reconnects + 2 && state().state === 'live',
      5000,
      'live after refusal',
    );
    expect(endpointOf(state().endpoint)).toBe(from);
    expect(lines.some((l) => /failed/.test(l.msg))).toBe(true);
  });

  it('declares a silent socket stale and recovers', async () => {
    const from = endpointOf(state().endpoint);
    const staleBefore = events.filter((e) => e.type === 'stateChanged' && e.status.state === 'stale').length;
    sim.faults.goSilent(venue, 3000, { endpoint: from });
    await waitFor(
      () =>
        events.filter((e) => e.type === 'stateChanged' && e.status.state === 'stale').length > staleBefore,
      5000,
      'stale',
    );
    await waitFor(() => state().state === 'live', 5000, 'live again');
    const n = trades.length;
    await waitFor(() => symbols.every((s) => tradesSince(n, s)), 5000, 'trades after stale');
  });

  it('on a shutdown notice moves to a new socket without a gap in state', async () => {
    const reconnects = state().reconnects;
    sim.faults.sendShutdownNotice(venue);
    await waitFor(() => state().reconnects > reconnects && state().state === 'live', 5000, 'replaced');
    if (venue !== 'bybit') expect(events.some((e) => e.type === 'shutdownNoticeReceived')).toBe(true);
    const n = trades.length;
    await waitFor(() => symbols.every((s) => tradesSince(n, s)), 5000, 'trades after notice');
    const ids = trades.filter((t) => t.symbol === 'SOL-USDT').map((t) => t.tradeId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
