import { type FeedStatus, feedStatusSchema, liveClock, type Quote, type Trade } from '@qt/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createFeed, type Feed } from '../../src/feed/create-feed.ts';
import type { FeedEvent } from '../../src/feed/feed-events.ts';
import type { FeedOptions } from '../../src/feed/feed-options.ts';
import { createBinanceAdapter } from '../../src/venues/binance/binance-adapter.ts';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';
import {
  binanceBookTicker,
  binanceTrade,
  type FakeConnection,
  type FakeVenue,
  type FakeVenueScript,
  recordingLogger,
  refusedBase,
  startFakeVenue,
  waitFor,
} from './fake-venue.ts';

const fast: FeedOptions = {
  staleAfterMs: 400,
  backoff: { initialMs: 20, maxMs: 100 },
  overlapDrainMs: 100,
  gapGraceMs: 50,
  checkIntervalMs: 20,
  ackTimeoutMs: 1000,
  noDataAfterMs: 60_000,
  handshakeTimeoutMs: 1000,
};

/** Answers SUBSCRIBE like Binance: `{"result":null,"id":...}`. */
function binanceScript() {
  return {
    onMessage(conn: FakeConnection, text: string) {
      const req = JSON.parse(text) as { method: string; id: number };
      if (req.method === 'SUBSCRIBE' || req.method === 'UNSUBSCRIBE') conn.send({ result: null, id: req.id });
    },
  };
}

/** The streams a connection asked for, from its URL and its SUBSCRIBE messages. */
function streamsOf(conn: FakeConnection): string[] {
  const fromUrl = new URL(conn.url, 'ws://x').searchParams.get('streams')?.split('/') ?? [];
  const fromMessages = conn.received.flatMap((t) => {
    const m = JSON.parse(t) as { method?: string; params?: string[] };
    return m.method === 'SUBSCRIBE' ? (m.params ?? []) : [];
  });
  return [...fromUrl, ...fromMessages].filter((s) => s !== '').sort();
}

interface Harness {
  feed: Feed;
  trades: Trade[];
  quotes: Quote[];
  events: FeedEvent[];
  logs: ReturnType<typeof recordingLogger>['lines'];
  state(): FeedStatus;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function venue(script: FakeVenueScript = binanceScript()): Promise<FakeVenue> {
  const v = await startFakeVenue('binance', script);
  cleanups.push(() => v.close());
  return v;
}

function binanceFeed(
  endpoints: string[],
  symbols: string[],
  options: FeedOptions = {},
  adapterUrlStreams?: number,
): Harness {
  const trades: Trade[] = [];
  const quotes: Quote[] = [];
  const events: FeedEvent[] = [];
  const { lines, logger } = recordingLogger();
  const feed = createFeed({
    adapter: createBinanceAdapter(adapterUrlStreams === undefined ? {} : { urlStreams: adapterUrlStreams }),
    symbols,
    endpoints,
    clock: liveClock,
    logger,
    options: { ...fast, ...options },
    onTrades: (batch) => trades.push(...batch),
    onQuote: (q) => quotes.push(q),
    onEvent: (e) => events.push(e),
  });
  cleanups.push(() => feed.stop());
  feed.start();
  return { feed, trades, quotes, events, logs: lines, state: () => feed.status()[0] as FeedStatus };
}

describe('createFeed (Binance wire, local server)', () => {
  it('connects, subscribes every stream, goes live and delivers trades and quotes as printed', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT', 'ETH-USDT'], {}, 1);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    expect(conn.url.startsWith('/binance/stream?streams=')).toBe(true);
    expect(streamsOf(conn)).toEqual([
      'btcusdt@bookTicker',
      'btcusdt@trade',
      'ethusdt@bookTicker',
      'ethusdt@trade',
    ]);
    conn.send(binanceTrade('BTCUSDT', 1, '64000.01000000'));
    conn.send(binanceBookTicker('ETHUSDT', 7));
    await waitFor(() => h.trades.length === 1 && h.quotes.length === 1, 2000, 'data');
    expect(h.trades[0]).toMatchObject({
      symbol: 'BTC-USDT',
      price: '64000.01000000',
      quantity: '0.50000000',
      tradeId: '1',
    });
    expect(h.quotes[0]).toMatchObject({ symbol: 'ETH-USDT', bidPrice: '25.35190000', updateId: '7' });
    const status = h.state();
    expect(feedStatusSchema.parse(status)).toBeTruthy();
    expect(status).toMatchObject({
      venue: 'binance',
      state: 'live',
      endpoint: v.base,
      reconnects: 0,
      lastError: null,
    });
    expect(status.lagMs).not.toBeNull();
    expect(status.messageRate).toBeGreaterThan(0);
  });

  it('answers the server ping frames with pongs copying the payload', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT']);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    (v.connections[0] as FakeConnection).socket.ping('payload-123');
    await waitFor(() => (v.connections[0] as FakeConnection).pongs.length > 0, 2000, 'pong');
    expect((v.connections[0] as FakeConnection).pongs).toEqual(['payload-123']);
  });

  it('splits symbols across connections within the per-connection limit', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'], {
      maxSubscriptionsPerConnection: 2,
    });
    await waitFor(() => h.feed.status().every((s) => s.state === 'live'), 3000, 'all live');
    expect(h.feed.status().map((s) => [s.connectionId, s.symbols])).toEqual([
      ['binance-1', ['BTC-USDT']],
      ['binance-2', ['ETH-USDT']],
      ['binance-3', ['SOL-USDT']],
    ]);
    expect(v.connections.flatMap(streamsOf).sort()).toHaveLength(6);
  });

  it('fails over to the next endpoint when the first refuses', async () => {
    const refused = await refusedBase();
    const v = await venue();
    const h = binanceFeed([refused, v.base], ['BTC-USDT']);
    await waitFor(() => h.state().state === 'live', 3000, 'live on the second endpoint');
    expect(h.state()).toMatchObject({ endpoint: v.base, reconnects: 1 });
    expect(h.state().lastError).toMatch(/connect to .*refused failed/);
    expect(h.events.some((e) => e.type === 'stateChanged' && e.status.state === 'reconnecting')).toBe(true);
  });

  it('declares a silent socket stale, reconnects and resubscribes everything', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT', 'ETH-USDT'], {}, 1);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const first = v.connections[0] as FakeConnection;
    // The server says nothing (no data, no ping frames) past staleAfterMs.
    await waitFor(
      () => h.events.some((e) => e.type === 'stateChanged' && e.status.state === 'stale'),
      3000,
      'stale',
    );
    await waitFor(() => v.connections.length === 2 && h.state().state === 'live', 3000, 'live again');
    expect(first.socket.readyState).not.toBe(first.socket.OPEN);
    expect(streamsOf(v.connections[1] as FakeConnection)).toEqual(streamsOf(first));
    expect(h.state().reconnects).toBe(1);
    expect(h.state().lastError).toMatch(/stale/);
  });

  it('keeps a quiet socket alive while the server pings', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT'], { staleAfterMs: 300 });
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    const pinger = setInterval(() => conn.socket.ping(), 50);
    const until = performance.now() + 700;
    await waitFor(() => performance.now() > until, 2000, 'time to pass');
    clearInterval(pinger);
    expect(h.state()).toMatchObject({ state: 'live', reconnects: 0 });
  });

  for (const [label, drop] of [
    ['close 1000', (c: FakeConnection) => c.socket.close(1000, 'bye')],
    ['close 1001', (c: FakeConnection) => c.socket.close(1001, 'going away')],
    ['close 1008 (rate limit)', (c: FakeConnection) => c.socket.close(1008, 'too many messages')],
    ['a cut connection (1006)', (c: FakeConnection) => c.socket.terminate()],
  ] as const) {
    it(`reconnects on the next endpoint after ${label}, resubscribing`, async () => {
      const a = await venue();
      const b = await venue();
      const h = binanceFeed([a.base, b.base], ['BTC-USDT'], {}, 1);
      await waitFor(() => h.state().state === 'live', 3000, 'live');
      drop(a.connections[0] as FakeConnection);
      await waitFor(() => b.connections.length === 1 && h.state().state === 'live', 3000, 'live on b');
      expect(h.state()).toMatchObject({ endpoint: b.base, reconnects: 1 });
      expect(streamsOf(b.connections[0] as FakeConnection)).toEqual(['btcusdt@bookTicker', 'btcusdt@trade']);
      (b.connections[0] as FakeConnection).send(binanceTrade('BTCUSDT', 10));
      await waitFor(() => h.trades.length === 1, 2000, 'trade after reconnect');
    });
  }

  it('on a shutdown notice opens the replacement before closing the old socket, losing and doubling nothing', async () => {
    const a = await venue();
    // The replacement's venue holds its acks until told, so both sockets overlap for a while.
    const held: (() => void)[] = [];
    const b = await venue({
      onMessage(conn, text) {
        const req = JSON.parse(text) as { id: number };
        held.push(() => conn.send({ result: null, id: req.id }));
      },
    });
    const h = binanceFeed([a.base, b.base], ['BTC-USDT', 'ETH-USDT'], {}, 1);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const old = a.connections[0] as FakeConnection;
    old.send(binanceTrade('BTCUSDT', 1));
    const eventsBefore = h.events.length;
    old.send('{"e":"serverShutdown","E":1770123456789}');
    await waitFor(() => held.length > 0, 3000, 'replacement subscribing');
    const next = b.connections[0] as FakeConnection;
    // Both sockets carry the same trades while they overlap.
    for (const c of [old, next]) for (const id of [2, 3]) c.send(binanceTrade('BTCUSDT', id));
    await waitFor(() => h.trades.length === 3 && h.state().duplicates === 2, 2000, 'overlap trades');
    expect(old.socket.readyState).toBe(old.socket.OPEN);
    for (const ack of held) ack();
    await waitFor(() => old.socket.readyState === old.socket.CLOSED, 3000, 'old socket closed');
    next.send(binanceTrade('BTCUSDT', 4));
    await waitFor(() => h.trades.length === 4, 2000, 'four trades');
    expect(h.trades.map((t) => t.tradeId)).toEqual(['1', '2', '3', '4']);
    expect(h.state()).toMatchObject({ state: 'live', endpoint: b.base, duplicates: 2, gaps: 0 });
    expect(h.events.some((e) => e.type === 'shutdownNoticeReceived')).toBe(true);
    const after = h.events.slice(eventsBefore);
    expect(after.some((e) => e.type === 'stateChanged' && e.status.state !== 'live')).toBe(false);
  });

  it('replaces a connection before its maximum lifetime, with overlap', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT'], { maxConnectionLifetimeMs: 400, rotateBeforeMs: 200 });
    await waitFor(() => v.connections.length >= 2, 3000, 'a replacement');
    await waitFor(() => (v.connections[0] as FakeConnection).socket.readyState === 3, 3000, 'first closed');
    expect(h.state().state).toBe('live');
    expect(h.state().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('sends SUBSCRIBE for streams beyond the URL, paced, and waits for the acks', async () => {
    const v = await venue();
    const symbols = Array.from({ length: 5 }, (_, i) => `C${i}-USDT`);
    const h = binanceFeed([v.base], symbols, {}, 1);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    expect(streamsOf(conn)).toHaveLength(10);
    expect(conn.received.length).toBe(1);
  });

  it('reports subscribed symbols that never deliver data', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT', 'NOPE-USDT'], { noDataAfterMs: 150 });
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    const ticker = setInterval(() => conn.send(binanceTrade('BTCUSDT', Math.floor(performance.now()))), 20);
    await waitFor(() => h.events.some((e) => e.type === 'symbolsSilent'), 3000, 'symbolsSilent');
    clearInterval(ticker);
    expect(h.events.find((e) => e.type === 'symbolsSilent')).toMatchObject({ symbols: ['NOPE-USDT'] });
    expect(h.feed.silentSymbols()).toEqual(['NOPE-USDT']);
  });

  it('reports a symbol added at run time that never delivers, after the first check ran', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT', 'OLD-USDT'], { noDataAfterMs: 150 });
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    let id = 0;
    const ticker = setInterval(() => {
      id++;
      conn.send(binanceTrade('BTCUSDT', id));
      conn.send(binanceTrade('ETHUSDT', id));
    }, 20);
    try {
      const silentEvents = () => h.events.filter((e) => e.type === 'symbolsSilent');
      // The check of this live period has run (it reported OLD-USDT) before the market is added.
      await waitFor(() => silentEvents().length === 1, 3000, 'the first symbolsSilent');
      expect(h.feed.addSymbols(['ETH-USDT', 'NOPE-USDT'])).toEqual(['ETH-USDT', 'NOPE-USDT']);
      await waitFor(() => silentEvents().length === 2, 3000, 'symbolsSilent for the added symbol');
      // ETH-USDT delivers (its trades are sent from the start; the feed keeps them once subscribed).
      expect(silentEvents()[1]).toMatchObject({ symbols: ['NOPE-USDT'] });
      expect(h.feed.silentSymbols()).toEqual(['OLD-USDT', 'NOPE-USDT']);
    } finally {
      clearInterval(ticker);
    }
  });

  it('counts and logs malformed and unknown frames with a sample, and carries on', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT']);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    conn.send('{"stream":"btcusdt@trade","data":{"e":"trade"');
    conn.send('{"e":"somethingNew","E":1}');
    conn.send(binanceTrade('BTCUSDT', 5));
    await waitFor(() => h.trades.length === 1, 2000, 'the next trade');
    expect(h.state()).toMatchObject({ state: 'live', malformed: 2 });
    const log = h.logs.find((l) => l.msg === 'malformed frame ignored');
    expect(log?.obj).toMatchObject({ sample: '{"stream":"btcusdt@trade","data":{"e":"trade"' });
  });

  it('drops duplicates and reports gaps per symbol', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT', 'ETH-USDT']);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    const conn = v.connections[0] as FakeConnection;
    for (const id of [1, 2, 2, 3, 7, 8]) conn.send(binanceTrade('BTCUSDT', id));
    for (const id of [1, 2]) conn.send(binanceTrade('ETHUSDT', id));
    await waitFor(() => h.trades.length === 7, 2000, 'trades');
    // Reported once still open after the grace period (late frames of another socket could fill it).
    await waitFor(() => h.state().gaps === 1, 2000, 'the gap reported');
    expect(h.state()).toMatchObject({ duplicates: 1, gaps: 1 });
    const gap = h.events.find((e) => e.type === 'gapDetected');
    expect(gap).toMatchObject({ gap: { symbol: 'BTC-USDT', fromId: 4, toId: 6, missing: 3 } });
    expect(h.feed.sequenceStats()).toMatchObject({ gaps: 1, missing: 3, duplicates: 1 });
  });

  it('stops: closes sockets, cancels timers and reports stopped', async () => {
    const v = await venue();
    const h = binanceFeed([v.base], ['BTC-USDT']);
    await waitFor(() => h.state().state === 'live', 3000, 'live');
    await h.feed.stop();
    expect(h.state().state).toBe('stopped');
    await waitFor(() => v.open().length === 0, 2000, 'server sees the close');
  });
});

describe('createFeed (OKX, trades and quotes on two paths)', () => {
  /** Answers OKX subscribe requests; the text ping gets its pong. */
  const okxScript: FakeVenueScript = {
    onMessage(conn, text) {
      if (text === 'ping') return conn.send('pong');
      const req = JSON.parse(text) as { id: string; args: object[] };
      for (const arg of req.args) conn.send({ id: req.id, event: 'subscribe', arg, connId: 'c1' });
    },
  };
  const okxTrade = (instId: string, id: number) =>
    JSON.stringify({
      arg: { channel: 'trades-all', instId },
      data: [
        { instId, tradeId: String(id), px: '100.1', sz: '0.5', side: 'buy', ts: String(1767225600000 + id) },
      ],
    });

  it("reports an added symbol's gaps on the connection that carries its trades", async () => {
    const v = await venue(okxScript);
    const events: FeedEvent[] = [];
    const feed = createFeed({
      // `trades-all` goes over /ws/v5/business, the quotes over /ws/v5/public: two connections.
      adapter: createOkxAdapter({ tradesChannel: 'trades-all' }),
      symbols: ['BTC-USDT'],
      endpoints: [v.base],
      clock: liveClock,
      options: fast,
      onEvent: (e) => events.push(e),
    });
    cleanups.push(() => feed.stop());
    feed.start();
    await waitFor(
      () => feed.status().length === 2 && feed.status().every((s) => s.state === 'live'),
      3000,
      'live',
    );
    expect(feed.addSymbols(['ETH-USDT'])).toEqual(['ETH-USDT']);
    const business = v.connections.find((c) => c.url.endsWith('/ws/v5/business'));
    if (!business) throw new Error('no business connection');
    await waitFor(() => business.received.some((t) => t.includes('ETH-USDT')), 3000, 'ETH subscribed');
    for (const id of [1, 2, 5]) business.send(okxTrade('ETH-USDT', id));
    await waitFor(() => events.some((e) => e.type === 'gapDetected'), 3000, 'the gap reported');
    const gap = events.find((e) => e.type === 'gapDetected');
    const byId = new Map(feed.status().map((s) => [s.connectionId, s]));
    expect(gap).toMatchObject({ gap: { symbol: 'ETH-USDT', fromId: 3, toId: 4 } });
    // okx-1 took the business path (trades come first in the channel list), okx-2 the public one.
    expect(gap).toMatchObject({ connectionId: 'okx-1' });
    expect(byId.get('okx-1')?.gaps).toBe(1);
    expect(byId.get('okx-2')?.gaps).toBe(0);
  });
});
