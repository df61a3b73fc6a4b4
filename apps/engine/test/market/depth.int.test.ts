import {
  type BookSide,
  OrderBook,
  parseBinanceDepthSnapshot,
  parseBybitOrderbook,
  parseOkxBooks,
  type ResyncReason,
} from '@qt/market-data';
import { AMOUNT_SCALE, type Depth, type KnownVenue, parseScaled, subjects, topics } from '@qt/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerDepthMetrics } from '../../src/market/depth/depth-metrics.ts';
import type { DepthService } from '../../src/market/depth/depth-service.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * Order books in the engine against the simulator, end to end: simulator (each venue's depth format) ->
 * depth feeds -> synchronisers -> conflated state -> `market.depth` / `market.onDepth`. A book served as
 * `synced` must equal the venue's own once the market is frozen; injected faults must be detected,
 * counted and repaired, with the book meanwhile served as not live, and never crossed or disordered.
 */

const venues: KnownVenue[] = ['binance', 'okx', 'bybit'];
const SYMBOL = 'BTC-USDT';
const STALE_MS = 2_000;
const RATE = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a served state must always satisfy, whatever the venue did. */
function violation(d: Depth): string | null {
  if (d.status !== 'synced') return d.bids.length + d.asks.length === 0 ? null : `${d.status} with levels`;
  const px = (s: string) => parseScaled(s, AMOUNT_SCALE);
  for (let i = 1; i < d.bids.length; i++)
    if (px(d.bids[i]?.price ?? '0') >= px(d.bids[i - 1]?.price ?? '0')) return 'bids not descending';
  for (let i = 1; i < d.asks.length; i++)
    if (px(d.asks[i]?.price ?? '0') <= px(d.asks[i - 1]?.price ?? '0')) return 'asks not ascending';
  const bid = d.bids[0];
  const ask = d.asks[0];
  if (bid && ask && px(bid.price) >= px(ask.price)) return 'crossed';
  return null;
}

/** The venue's own book right now: Binance's REST snapshot, OKX's and Bybit's snapshot on a new socket. */
async function venueTruth(t: TestEngine, venue: KnownVenue, levels: number) {
  const urls = t.engine.market?.simulator?.urls[0];
  if (!urls) throw new Error('no simulator');
  const book = new OrderBook();
  if (venue === 'binance') {
    const res = await fetch(`${urls.binance.rest}/api/v3/depth?symbol=BTCUSDT&limit=1000`);
    const snap = parseBinanceDepthSnapshot(await res.text());
    for (const [p, q] of snap.bids) book.apply('bid', p, q);
    for (const [p, q] of snap.asks) book.apply('ask', p, q);
  } else {
    const ws = new WebSocket(
      venue === 'okx' ? `${urls.okx.ws}/ws/v5/public` : `${urls.bybit.ws}/v5/public/spot`,
    );
    try {
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      const snapshot = new Promise<{ bids: string[][]; asks: string[][] }>((resolve) =>
        ws.on('message', (data) => {
          const text = String(data);
          const m = venue === 'okx' ? parseOkxBooks(text) : parseBybitOrderbook(text);
          if (m && ('action' in m ? m.action === 'snapshot' : m.type === 'snapshot'))
            resolve({ bids: m.bids.map((l) => [...l]), asks: m.asks.map((l) => [...l]) });
        }),
      );
      ws.send(
        JSON.stringify(
          venue === 'okx'
            ? { op: 'subscribe', args: [{ channel: 'books', instId: SYMBOL }] }
            : { op: 'subscribe', args: ['orderbook.50.BTCUSDT'] },
        ),
      );
      const s = await snapshot;
      for (const [p, q] of s.bids) book.apply('bid', p as string, q as string);
      for (const [p, q] of s.asks) book.apply('ask', p as string, q as string);
    } finally {
      ws.close();
    }
  }
  const side = (x: BookSide) => book.top(x, levels);
  return { bids: side('bid'), asks: side('ask') };
}

describe('order books in the engine (simulator)', () => {
  let t: TestEngine;
  let token: string;
  let depth: DepthService;
  const violations: string[] = [];
  const seen = new Map<string, Set<string>>();
  let monitor: NodeJS.Timeout;

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: RATE,
      marketSymbols: [SYMBOL],
      marketDepthLevels: 20,
      marketDepthStaleMs: STALE_MS,
    });
    token = (await t.signUp('depth-watcher')).token;
    depth = t.engine.market?.depth as DepthService;
    // Every served state, sampled often, must be well formed (never crossed, never levels when not live).
    monitor = setInterval(() => {
      for (const v of venues) {
        const d = depth.latest(v, SYMBOL);
        if (!d) continue;
        const bad = violation(d);
        if (bad) violations.push(`${v}: ${bad}`);
        const s = seen.get(v) ?? new Set();
        s.add(d.status);
        seen.set(v, s);
      }
    }, 10);
  }, 60_000);
  afterAll(async () => {
    clearInterval(monitor);
    await t?.stop();
  });

  const sim = () => {
    const s = t.engine.market?.simulator;
    if (!s) throw new Error('no simulator');
    return s;
  };
  const counters = (v: KnownVenue) => {
    const b = depth.venues().find((x) => x.venue === v);
    if (!b) throw new Error(`no books for ${v}`);
    return b.counters;
  };
  const resyncs = (v: KnownVenue, r: ResyncReason) => counters(v).resyncs[r];
  /** Synced in the synchronisers and in what is served (the served state lags by up to 100 ms). */
  const allSynced = () =>
    depth.venues().every((b) => [...b.books()].every((book) => book.sync.status === 'synced')) &&
    venues.every((v) => depth.latest(v, SYMBOL)?.status === 'synced');

  /** Freeze the market, let the last frames land, and compare what the API serves with the venue's book. */
  async function expectInSyncWithVenue() {
    const client = t.client(token);
    await waitFor(allSynced, 20_000, 'all books synced');
    sim().faults.setRate(0);
    try {
      await sleep(500);
      for (const v of venues) {
        const [served, truth] = await Promise.all([
          client.market.depth.query({ venue: v, symbol: SYMBOL }),
          venueTruth(t, v, 20),
        ]);
        expect(served?.status, v).toBe('synced');
        expect(served?.bids.length, v).toBe(20);
        expect({ venue: v, bids: served?.bids, asks: served?.asks }).toEqual({ venue: v, ...truth });
      }
    } finally {
      sim().faults.setRate(RATE);
    }
  }

  it('brings every venue to synced and serves exactly the venue book (authenticated, top N)', async () => {
    const client = t.client(token);
    await waitFor(allSynced, 30_000, 'all books synced');
    const top5 = await client.market.depth.query({ venue: 'okx', symbol: SYMBOL, levels: 5 });
    expect(top5?.bids).toHaveLength(5);
    expect(top5?.asks).toHaveLength(5);
    expect(await appCodeOf(t.client().market.depth.query({ venue: 'okx', symbol: SYMBOL }))).toBe(
      'AUTH_REQUIRED',
    );
    expect(await appCodeOf(client.market.depth.query({ venue: 'okx', symbol: 'NOPE-USDT' }))).toBe(
      'MARKET_UNKNOWN_INSTRUMENT',
    );
    expect(await appCodeOf(client.market.depth.query({ venue: 'okx', symbol: SYMBOL, levels: 0 }))).toBe(
      'VALIDATION_FAILED',
    );
    for (const v of venues) expect(counters(v).totalResyncs(), v).toBe(0);
    await expectInSyncWithVenue();
  }, 60_000);

  it('detects skipped updates, a bad checksum and a stalled book: counted, served as not live, repaired', async () => {
    const client = t.client(token);
    await waitFor(allSynced, 20_000, 'all books synced');
    const before = Object.fromEntries(venues.map((v) => [v, { ...counters(v).resyncs }]));

    for (const v of venues) sim().faults.skipBookUpdates(v, SYMBOL);
    await waitFor(
      () => venues.every((v) => resyncs(v, 'sequence-gap') > (before[v]?.['sequence-gap'] ?? 0)),
      10_000,
      'sequence gaps detected',
    );
    sim().faults.corruptBookChecksum('okx', SYMBOL);
    await waitFor(
      () => resyncs('okx', 'checksum-mismatch') > (before.okx?.['checksum-mismatch'] ?? 0),
      10_000,
      'checksum mismatch detected',
    );
    await waitFor(allSynced, 20_000, 'books resynced after gaps');

    // A stalled book: nothing for three times the stale limit while the market moves.
    for (const v of venues) sim().faults.stallBook(v, SYMBOL, STALE_MS * 3);
    const staleServed = new Set<string>();
    await waitFor(
      async () => {
        for (const v of venues) {
          const d = await client.market.depth.query({ venue: v, symbol: SYMBOL });
          if (d?.status === 'stale') {
            expect(d.bids).toEqual([]);
            expect(d.asks).toEqual([]);
            staleServed.add(v);
          }
        }
        return staleServed.size === venues.length;
      },
      15_000,
      'stale books served as stale',
    ).catch((err: Error) => {
      const state = venues.map((v) => ({ v, seen: [...(seen.get(v) ?? [])], ...counters(v) }));
      throw new Error(`${err.message}: ${JSON.stringify({ staleServed: [...staleServed], state })}`);
    });
    for (const v of venues) expect(resyncs(v, 'stale'), v).toBeGreaterThan(before[v]?.stale ?? 0);
    await waitFor(allSynced, 30_000, 'books resynced after the stall');

    // Counted in the metrics, by venue and reason.
    const registry = new Registry();
    registerDepthMetrics(registry, depth);
    const text = await registry.metrics();
    expect(text).toMatch(/qt_book_resyncs_total\{venue="okx",reason="checksum-mismatch"\} [1-9]/);
    expect(text).toMatch(/qt_book_resyncs_total\{venue="binance",reason="sequence-gap"\} [1-9]/);
    expect(text).toMatch(/qt_book_resyncs_total\{venue="bybit",reason="stale"\} [1-9]/);
    expect(text).toMatch(/qt_book_status\{venue="bybit",symbol="BTC-USDT"\} 1/);
    expect((await client.market.depth.query({ venue: 'binance', symbol: SYMBOL }))?.resyncs).toBeGreaterThan(
      0,
    );

    // Never a crossed or disordered book, never levels while not live; and in sync with the venue again.
    expect(violations).toEqual([]);
    // Served as stale while stale (a resync and its snapshot may both fall between two 100 ms publishes).
    for (const v of venues)
      expect([...(seen.get(v) ?? [])], v).toEqual(expect.arrayContaining(['stale', 'synced']));
    await expectInSyncWithVenue();
  }, 120_000);

  it('resets the books when the socket drops, and resyncs on the new one', async () => {
    await waitFor(allSynced, 20_000, 'all books synced');
    const syncedBefore = counters('okx').synced;
    sim().faults.dropConnections('okx');
    // The lost socket voids the books it carried: served as syncing (no levels) until the new snapshot.
    await waitFor(() => depth.latest('okx', SYMBOL)?.status === 'syncing', 5_000, 'okx served as syncing');
    expect(depth.latest('okx', SYMBOL)?.bids).toEqual([]);
    await waitFor(() => counters('okx').synced > syncedBefore && allSynced(), 20_000, 'okx resynced');
    expect(violations).toEqual([]);
  }, 40_000);

  it('publishes each book on the bus, conflated to at most ~10 a second', async () => {
    await waitFor(allSynced, 20_000, 'all books synced');
    const got: Depth[] = [];
    const sub = await t.engine.bus.subscribe(
      topics.marketDepth,
      subjects.marketDepth('bybit', SYMBOL),
      (m) => {
        got.push(m.data);
      },
    );
    try {
      await sleep(2_000);
    } finally {
      await sub.unsubscribe();
    }
    // Bybit changes its book every 20 ms (50/s); the bus gets at most one state per 100 ms.
    expect(got.length).toBeGreaterThanOrEqual(5);
    expect(got.length).toBeLessThanOrEqual(22);
    for (const d of got) {
      expect(d).toMatchObject({ venue: 'bybit', symbol: SYMBOL });
      expect(violation(d)).toBeNull();
      if (d.status === 'synced') expect(d.bids).toHaveLength(20);
    }
  }, 30_000);

  it('market.onDepth pushes the book over WebSocket, conflated to at most ~10 a second', async () => {
    await waitFor(allSynced, 20_000, 'all books synced');
    const ws = t.wsClient(token);
    const got: { d: Depth; at: number }[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const sub = ws.client.market.onDepth.subscribe(
          { venue: 'bybit', symbol: SYMBOL, levels: 3 },
          {
            onData: (d) => {
              got.push({ d, at: performance.now() });
              if (got.length === 8) {
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
    for (const { d } of got) {
      expect(d).toMatchObject({ venue: 'bybit', symbol: SYMBOL, status: 'synced' });
      expect(d.bids).toHaveLength(3);
      expect(d.asks).toHaveLength(3);
      expect(violation(d)).toBeNull();
    }
    // The book changes every 20 ms on Bybit; pushes are at most one per 100 ms: 7 gaps span >= 700 ms on
    // the server (one push's delivery delay may shorten a single gap, not the whole span).
    const span = (got[7] as { at: number }).at - (got[0] as { at: number }).at;
    expect(span).toBeGreaterThanOrEqual(600);
    expect(new Set(got.map((g) => g.d.at)).size).toBe(got.length);
  }, 30_000);
});
