import { type EndpointUrls, type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BinanceBookSync } from '../../src/books/binance-book-sync.ts';
import {
  parseBinanceDepthEvent,
  parseBinanceDepthSnapshot,
  parseBybitOrderbook,
  parseOkxBooks,
} from '../../src/books/book-parsers.ts';
import type { BookSyncBase, SyncEvent } from '../../src/books/book-sync.ts';
import { BybitBookSync } from '../../src/books/bybit-book-sync.ts';
import { OkxBookSync } from '../../src/books/okx-book-sync.ts';
import type { OrderBook } from '../../src/books/order-book.ts';

/**
 * The synchronisers against the simulator over real WebSockets and real HTTP: books stay in sync with
 * the venue's, injected faults are detected, counted and repaired, and a wrong book is never served.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STALE_MS = 1000;

interface Client {
  sync: BookSyncBase;
  events: SyncEvent[];
  /** Served books that were crossed (must stay 0). */
  badServed: number;
  /** False once the market is frozen for the final comparison (a frozen book sends nothing). */
  checkingStale: boolean;
  close(): void;
}

function watch(sync: BookSyncBase, c: { close(): void }, events: SyncEvent[]): Client {
  const client: Client = { sync, events, badServed: 0, checkingStale: true, close: () => c.close() };
  const timer = setInterval(() => {
    const ev = client.checkingStale ? sync.checkStale(performance.now()) : null;
    if (ev) events.push(ev);
    const live = sync.liveBook();
    if (live?.crossed()) client.badServed += 1;
  }, 50);
  const close = client.close;
  client.close = () => {
    clearInterval(timer);
    close();
  };
  return client;
}

async function binanceClient(sim: ExchangeSim): Promise<Client & { sync: BinanceBookSync }> {
  const { ws: base, rest } = (sim.urls[0] as EndpointUrls).binance;
  const sync = new BinanceBookSync({ staleAfterMs: STALE_MS });
  const events: SyncEvent[] = [];
  const ws = new WebSocket(`${base}/ws/btcusdt@depth@100ms`);
  let fetching = false;
  const fetchSnapshot = async () => {
    if (fetching) return;
    fetching = true;
    try {
      const res = await fetch(`${rest}/api/v3/depth?symbol=BTCUSDT&limit=1000`);
      events.push(sync.onSnapshot(parseBinanceDepthSnapshot(await res.text()), performance.now()));
    } finally {
      fetching = false;
    }
  };
  ws.on('message', (data) => {
    const ev = parseBinanceDepthEvent(String(data));
    if (!ev) return;
    events.push(sync.onDiff(ev, performance.now()));
    if (sync.wantsSnapshot()) void fetchSnapshot();
  });
  await new Promise((r) => ws.once('open', r));
  return Object.assign(watch(sync, { close: () => ws.close() }, events), { sync });
}

async function subscribedClient<S extends OkxBookSync | BybitBookSync>(
  url: string,
  sync: S,
  sub: (op: 'subscribe' | 'unsubscribe') => string,
  onText: (text: string) => SyncEvent | null,
): Promise<Client & { sync: S }> {
  const events: SyncEvent[] = [];
  const ws = new WebSocket(url);
  const resubscribe = () => {
    ws.send(sub('unsubscribe'));
    ws.send(sub('subscribe'));
  };
  ws.on('message', (data) => {
    const ev = onText(String(data));
    if (!ev) return;
    events.push(ev);
    if (ev.type === 'resyncNeeded') resubscribe();
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(sub('subscribe'));
  const client = watch(sync, { close: () => ws.close() }, events);
  // A stale book is resynced the same way.
  const timer = setInterval(() => {
    if (sync.status === 'stale') {
      sync.reset();
      resubscribe();
    }
  }, 50);
  const close = client.close;
  client.close = () => {
    clearInterval(timer);
    close();
  };
  return Object.assign(client, { sync });
}

const okxClient = (sim: ExchangeSim) => {
  const sync = new OkxBookSync({ staleAfterMs: STALE_MS });
  return subscribedClient(
    `${(sim.urls[0] as EndpointUrls).okx.ws}/ws/v5/public`,
    sync,
    (op) => JSON.stringify({ op, args: [{ channel: 'books', instId: 'BTC-USDT' }] }),
    (text) => {
      const m = parseOkxBooks(text);
      return m ? sync.onMessage(m, performance.now()) : null;
    },
  );
};

const bybitClient = (sim: ExchangeSim) => {
  const sync = new BybitBookSync({ staleAfterMs: STALE_MS });
  return subscribedClient(
    `${(sim.urls[0] as EndpointUrls).bybit.ws}/v5/public/spot`,
    sync,
    (op) => JSON.stringify({ op, args: ['orderbook.50.BTCUSDT'] }),
    (text) => {
      const m = parseBybitOrderbook(text);
      return m ? sync.onMessage(m, performance.now()) : null;
    },
  );
};

let describeState: () => string = () => '';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${describeState()}`);
    await sleep(20);
  }
}

describe('books against the simulator (real WebSocket)', () => {
  let sim: ExchangeSim;
  beforeAll(async () => {
    sim = await startExchangeSim({ symbols: ['BTC-USDT'], tradesPerSecond: 400, seed: 3 });
  });
  afterAll(async () => {
    await sim.stop();
  });

  /** Freeze the market, let the last frames arrive, and compare with a fresh snapshot from the venue. */
  async function frozenTruth(clients: Client[]) {
    for (const c of clients) c.checkingStale = false;
    sim.faults.setRate(0);
    await sleep(400);
    const res = await fetch(
      `${(sim.urls[0] as EndpointUrls).binance.rest}/api/v3/depth?symbol=BTCUSDT&limit=1000`,
    );
    const binance = parseBinanceDepthSnapshot(await res.text());
    const okx = await okxClient(sim);
    const bybit = await bybitClient(sim);
    await until(() => okx.sync.status === 'synced' && bybit.sync.status === 'synced');
    okx.close();
    bybit.close();
    return {
      binance,
      okx: (okx.sync.liveBook() as OrderBook).snapshot(),
      bybit: (bybit.sync.liveBook() as OrderBook).snapshot(),
    };
  }

  it('stays in sync, detects every injected fault, and never serves a wrong book', async () => {
    const b = await binanceClient(sim);
    const o = await okxClient(sim);
    const y = await bybitClient(sim);
    describeState = () =>
      JSON.stringify(
        [b, o, y].map((c) => ({ status: c.sync.status, ...c.sync.counters, last: c.events.slice(-3) })),
      );
    await until(() => b.sync.status === 'synced' && o.sync.status === 'synced' && y.sync.status === 'synced');
    await sleep(600);
    expect(b.sync.counters.applied).toBeGreaterThan(0);
    expect(o.sync.counters.applied).toBeGreaterThan(0);
    expect(y.sync.counters.applied).toBeGreaterThan(0);
    expect(
      b.sync.counters.totalResyncs() + o.sync.counters.totalResyncs() + y.sync.counters.totalResyncs(),
    ).toBe(0);

    // Skipped sequence on every venue, a bad checksum on OKX.
    sim.faults.skipBookUpdates('binance', 'BTC-USDT');
    sim.faults.skipBookUpdates('okx', 'BTC-USDT');
    sim.faults.skipBookUpdates('bybit', 'BTC-USDT');
    await until(
      () =>
        b.sync.counters.resyncs['sequence-gap'] >= 1 &&
        o.sync.counters.resyncs['sequence-gap'] >= 1 &&
        y.sync.counters.resyncs['sequence-gap'] >= 1,
    );
    sim.faults.corruptBookChecksum('okx', 'BTC-USDT');
    await until(() => o.sync.counters.resyncs['checksum-mismatch'] >= 1);
    const allSynced = () =>
      b.sync.status === 'synced' && o.sync.status === 'synced' && y.sync.status === 'synced';
    await until(allSynced);
    // A stale book: nothing for longer than STALE_MS while the market moves.
    sim.faults.stallBook('binance', 'BTC-USDT', STALE_MS * 3);
    sim.faults.stallBook('okx', 'BTC-USDT', STALE_MS * 3);
    sim.faults.stallBook('bybit', 'BTC-USDT', STALE_MS * 3);
    await until(
      () =>
        b.sync.counters.resyncs.stale >= 1 &&
        o.sync.counters.resyncs.stale >= 1 &&
        y.sync.counters.resyncs.stale >= 1,
    );
    expect(b.sync.liveBook()).toBeNull();
    // Everyone recovers.
    await until(allSynced, 15_000);

    // Bybit restarts its book service: a snapshot with u = 1 resets the book, then deltas continue from it.
    const syncedBefore = y.sync.counters.synced;
    const resyncsBefore = y.sync.counters.totalResyncs();
    sim.faults.restartBook('bybit', 'BTC-USDT');
    await until(() => y.sync.counters.synced > syncedBefore && (y.sync.lastUpdateId ?? 0) >= 2);
    expect(y.sync.lastUpdateId).toBeLessThan(1000);
    expect(y.sync.counters.totalResyncs()).toBe(resyncsBefore);

    const truth = await frozenTruth([b, o, y]);
    expect(b.sync.lastUpdateId).toBe(truth.binance.lastUpdateId);
    const bBook = b.sync.liveBook() as OrderBook;
    expect(bBook.size('bid')).toBe(truth.binance.bids.length);
    expect(bBook.top('bid', 1000).map((l) => [l.price, l.quantity])).toEqual(
      truth.binance.bids.map(([p, q]) => [p.replace(/\.?0+$/, ''), q.replace(/\.?0+$/, '')]),
    );
    expect((o.sync.liveBook() as OrderBook).snapshot()).toEqual(truth.okx);
    expect((y.sync.liveBook() as OrderBook).snapshot()).toEqual(truth.bybit);
    for (const c of [b, o, y]) {
      expect(c.badServed).toBe(0);
      c.close();
    }
  }, 60_000);

  it('serves the Binance REST snapshot with its documented errors', async () => {
    const rest = (sim.urls[0] as EndpointUrls).binance.rest;
    const ok = await fetch(`${rest}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    const snap = parseBinanceDepthSnapshot(await ok.text());
    expect(snap.bids.length).toBeLessThanOrEqual(5);
    expect(snap.bids[0]?.[0]).toMatch(/^\d+\.\d{8}$/);
    const unknown = await fetch(`${rest}/api/v3/depth?symbol=NOPEUSDT`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: -1121 });
    const badLimit = await fetch(`${rest}/api/v3/depth?symbol=BTCUSDT&limit=9999`);
    expect(badLimit.status).toBe(400);
  });
});
