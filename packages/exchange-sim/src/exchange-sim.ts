import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { formatTrimmed } from './decimal-format.ts';
import { BinanceArchiveServer } from './history/binance-archive-server.ts';
import { RestHistory } from './history/rest-history.ts';
import { instrumentSpec, toSimInstrument, venueSymbol } from './instruments.ts';
import { Market, type SymbolMarket } from './market/market.ts';
import { resolveOptions } from './options.ts';
import { Connection, type EndpointFaults } from './server/connection.ts';
import { listenEndpoint, portOf } from './server/endpoint.ts';
import { type Counters, connectionId, type ProtocolContext, type VenueProtocol } from './server/protocol.ts';
import { RestTrades } from './server/rest-trades.ts';
import { TickWriter } from './server/tick-writer.ts';
import { TradeHistory, withholdFront } from './server/trade-history.ts';
import type {
  EndpointUrls,
  ExchangeSim,
  ExchangeSimOptions,
  MalformedKind,
  SimTrade,
  Venue,
} from './types.ts';
import { venues } from './types.ts';
import { BinanceProtocol } from './venues/binance.ts';
import { BybitProtocol } from './venues/bybit.ts';
import { OkxProtocol } from './venues/okx.ts';

const perVenue = <T>(make: () => T): Record<Venue, T> => ({ binance: make(), okx: make(), bybit: make() });
const monotonic = () => performance.now();

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * Starts the simulator: one market, served by `endpoints` HTTP/WebSocket servers. Each tick the market
 * advances by the real time elapsed, every venue encodes its new trades once per topic, and the frames
 * go to every subscriber on every endpoint.
 */
export async function startExchangeSim(options: ExchangeSimOptions = {}): Promise<ExchangeSim> {
  const o = resolveOptions(options);
  const market = new Market(o.symbols.map(instrumentSpec), o.seed, o.volatility, o.tradesPerSecond);
  const writer = new TickWriter(o.limits.maxBufferedBytes);
  const counters: Counters = {
    tradesSent: perVenue(() => 0),
    pingsReceived: perVenue(() => 0),
    pongsReceived: perVenue(() => 0),
  };
  // REST trade history per stream, and the gap fault's pending count per stream.
  const histories = new Map<SymbolMarket, Record<Venue, TradeHistory>>(
    market.symbols.map((s) => [s, perVenue(() => new TradeHistory(o.restHistoryTrades))]),
  );
  const withhold = new Map<SymbolMarket, Record<Venue, number>>(
    market.symbols.map((s) => [s, perVenue(() => 0)]),
  );
  const restTrades = new RestTrades(market, histories, o.limits, monotonic);
  const restHistory = new RestHistory(market, o, () => o.clock.now(), monotonic, histories);
  // Binance's public archive files, generated from the same candles as the klines route.
  const archive = new BinanceArchiveServer(
    (name) => restHistory.candlesOf('binance', name),
    () => o.clock.now(),
  );
  // During a step the frame clock is pinned, so every venue's frames and the REST history print the
  // same time for a trade (the history is the ground truth a repaired gap is compared with).
  let pinnedNow: number | null = null;
  const frameClock = { now: () => pinnedNow ?? o.clock.now() };
  const ctx: ProtocolContext = {
    market,
    clock: frameClock,
    timing: o.timing,
    limits: o.limits,
    writer,
    counters,
    monotonic,
  };
  const bybit = new BybitProtocol(ctx);
  const binance = new BinanceProtocol(ctx);
  const okx = new OkxProtocol(ctx);
  const protocols: Record<Venue, VenueProtocol> = { binance, okx, bybit };
  /** A symbol's book faults on a venue, by canonical or venue symbol. */
  const bookFaults = (venue: Venue, symbol: string) => {
    const vs = venueSymbol(venue, symbolOf(venue, symbol).spec);
    if (venue === 'binance') return binance.depth.faultsOf(vs);
    if (venue === 'okx') return okx.books.faultsOf(vs);
    return bybit.orderbook.faultsOf(vs);
  };
  const connections = perVenue(() => new Set<Connection>());
  const endpointFaults: EndpointFaults[] = Array.from({ length: o.endpoints }, () => ({
    silentUntil: perVenue(() => 0),
    refuseUntil: perVenue(() => 0),
  }));
  const pendingCloses = new Set<NodeJS.Timeout>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    autoPong: false,
    clientTracking: false,
    maxPayload: 1 << 20,
  });
  let nextConnection = 0;

  function onConnection(
    endpoint: number,
    venue: Venue,
    ws: WebSocket,
    socket: Duplex,
    path: string,
    query: URLSearchParams,
  ): void {
    const now = monotonic();
    const n = nextConnection++;
    const id = venue === 'bybit' ? `${connectionId(n)}-${n.toString(36)}` : connectionId(n);
    const faults = endpointFaults[endpoint] as EndpointFaults;
    const conn = new Connection(id, venue, endpoint, ws, socket, faults, path, now);
    const protocol = protocols[venue];
    connections[venue].add(conn);
    ws.on('message', (data) => {
      const t = monotonic();
      conn.lastReceivedAt = t;
      protocol.onMessage(conn, text(data), t);
    });
    ws.on('ping', (payload) => {
      const t = monotonic();
      conn.lastReceivedAt = t;
      protocol.onPing(conn, payload, t);
    });
    ws.on('pong', (payload) => {
      const t = monotonic();
      conn.lastReceivedAt = t;
      protocol.onPong(conn, payload, t);
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      conn.closing = true;
      connections[venue].delete(conn);
      protocol.onClose(conn);
    });
    protocol.onOpen(conn, query, now);
  }

  const servers: Server[] = [];
  try {
    for (let i = 0; i < o.endpoints; i += 1) {
      const port = o.port === 0 ? 0 : o.port + i;
      servers.push(
        await listenEndpoint(o.host, port, {
          index: i,
          protocols,
          faults: endpointFaults[i] as EndpointFaults,
          wss,
          monotonic,
          onConnection: (venue, ws, socket, path, query) => onConnection(i, venue, ws, socket, path, query),
          restTrades: (venue, path, query) =>
            restHistory.handle(venue, path, query) ?? restTrades.handle(venue, path, query),
          archive: (venue, path) => (venue === 'binance' ? archive.handle(path) : null),
        }),
      );
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }

  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  const urls: EndpointUrls[] = servers.map((s) => {
    const base = `${hostPart}:${portOf(s)}`;
    const pair = (venue: Venue) => ({ ws: `ws://${base}/${venue}`, rest: `http://${base}/${venue}` });
    return { binance: pair('binance'), okx: pair('okx'), bybit: pair('bybit') };
  });

  function step(ms: number): void {
    market.advance(ms);
    writer.now = monotonic();
    pinnedNow = o.clock.now();
    try {
      for (const s of market.symbols) {
        const h = histories.get(s) as Record<Venue, TradeHistory>;
        const w = withhold.get(s) as Record<Venue, number>;
        for (const venue of venues) {
          const batch = s.streams[venue].batch;
          if (batch.n === 0) continue;
          h[venue].record(batch, pinnedNow);
          if (w[venue] > 0) w[venue] -= withholdFront(batch, w[venue]);
        }
      }
      protocols.binance.publish();
      protocols.okx.publish();
      protocols.bybit.publish();
    } finally {
      pinnedNow = null;
    }
    writer.flush();
  }

  let last = monotonic();
  const tickTimer = o.manual
    ? null
    : setInterval(() => {
        const now = monotonic();
        // After a stall, catch up at most a second: an overloaded simulator shows as a lower rate.
        const elapsed = Math.min(now - last, 1000);
        last = now;
        step(elapsed);
      }, o.tickMs);

  const t = o.timing;
  const shortest = Math.min(
    t.binancePingIntervalMs,
    t.binancePongTimeoutMs,
    t.okxIdleTimeoutMs,
    t.bybitIdleTimeoutMs,
  );
  const housekeepMs = Math.max(5, Math.min(1000, Math.floor(shortest / 8)));
  const housekeepTimer = setInterval(() => {
    const now = monotonic();
    for (const venue of venues)
      for (const conn of connections[venue]) if (!conn.closing) protocols[venue].housekeep(conn, now);
  }, housekeepMs);

  const endpointsOf = (endpoint: number | undefined): EndpointFaults[] => {
    if (endpoint === undefined) return endpointFaults;
    const f = endpointFaults[endpoint];
    if (!f) throw new RangeError(`no endpoint ${endpoint}`);
    return [f];
  };
  const connsOf = (venue: Venue, endpoint?: number) =>
    [...connections[venue]].filter((c) => endpoint === undefined || c.endpoint === endpoint);
  const symbolOf = (venue: Venue, symbol: string): SymbolMarket => {
    const s =
      market.bySymbol.get(symbol) ?? market.symbols.find((m) => venueSymbol(venue, m.spec) === symbol);
    if (!s) throw new RangeError(`unknown symbol ${symbol}`);
    return s;
  };

  return {
    urls,
    instruments: (venue) => market.symbols.map((s) => toSimInstrument(venue, s.spec)),
    faults: {
      dropConnections(venue, opts = {}) {
        for (const conn of connsOf(venue, opts.endpoint)) {
          if (opts.code === undefined) conn.drop();
          else conn.close(opts.code, 'simulated');
        }
      },
      goSilent(venue, ms, opts = {}) {
        const until = monotonic() + ms;
        for (const f of endpointsOf(opts.endpoint)) f.silentUntil[venue] = until;
      },
      refuseConnections(venue, ms, opts = {}) {
        const until = monotonic() + ms;
        for (const f of endpointsOf(opts.endpoint)) f.refuseUntil[venue] = until;
      },
      duplicateTrades(venue, symbol, count) {
        symbolOf(venue, symbol).streams[venue].duplicateRemaining += count;
      },
      skipTradeIds(venue, symbol, count) {
        symbolOf(venue, symbol).streams[venue].pendingSkip += count;
      },
      withholdTrades(venue, symbol, count) {
        (withhold.get(symbolOf(venue, symbol)) as Record<Venue, number>)[venue] += count;
      },
      throttleRest(venue, ms) {
        restTrades.throttledUntil[venue] = monotonic() + ms;
      },
      failHistory(venue, count, status = 429, retryAfterSeconds = 1) {
        restHistory.faults[venue] = count > 0 ? { status, remaining: count, retryAfterSeconds } : null;
      },
      corruptArchiveChecksum(count = 1) {
        archive.corruptChecksums += count;
      },
      sendMalformed(venue, kind: MalformedKind = 'garbage') {
        const now = monotonic();
        for (const conn of connections[venue]) conn.send(protocols[venue].malformedFrame(conn, kind), now);
      },
      sendShutdownNotice(venue, opts = {}) {
        const now = monotonic();
        const lateMs = Math.max(0, opts.lateFramesMs ?? 0);
        for (const conn of connections[venue]) {
          // The lag starts before the notice: it reaches the client late too, as behind a lagging server,
          // so the replacement subscribes only after the trades the old socket still holds.
          conn.lagMs = lateMs;
          writer.track(conn);
          if (!protocols[venue].shutdownNotice(conn, now)) {
            conn.drop();
            continue;
          }
          const timer = setTimeout(() => {
            pendingCloses.delete(timer);
            writer.release(conn, Number.POSITIVE_INFINITY);
            conn.close(1001, 'service upgrade');
          }, o.timing.shutdownCloseDelayMs + lateMs);
          pendingCloses.add(timer);
        }
      },
      resetTradeIds(venue, symbol, nextId = 1) {
        const stream = symbolOf(venue, symbol).streams[venue];
        stream.nextTradeId = nextId;
        stream.pendingSkip = 0;
      },
      resetSequence(venue, symbol) {
        if (venue !== 'bybit') throw new RangeError(`${venue} trades carry no cross sequence`);
        bybit.resetSequence(
          symbol === undefined ? undefined : venueSymbol('bybit', symbolOf(venue, symbol).spec),
        );
      },
      setRate(tradesPerSecond) {
        market.setRate(tradesPerSecond);
      },
      skipBookUpdates(venue, symbol, count = 1) {
        bookFaults(venue, symbol).skip += count;
      },
      corruptBookChecksum(venue, symbol, count = 1) {
        if (venue !== 'okx') throw new RangeError(`${venue} depth messages carry no checksum`);
        bookFaults(venue, symbol).corrupt += count;
      },
      stallBook(venue, symbol, ms) {
        bookFaults(venue, symbol).stallUntil = monotonic() + ms;
      },
      restartBook(venue, symbol) {
        if (venue !== 'bybit') throw new RangeError(`${venue} has no book restart message`);
        bybit.orderbook.restart(venueSymbol('bybit', symbolOf(venue, symbol).spec));
      },
    },
    stats() {
      const count = <T>(f: (v: Venue) => T) =>
        Object.fromEntries(venues.map((v) => [v, f(v)])) as Record<string, T>;
      return {
        connections: count((v) => connections[v].size),
        tradesSent: count((v) => counters.tradesSent[v]),
        pingsReceived: count((v) => counters.pingsReceived[v]),
        pongsReceived: count((v) => counters.pongsReceived[v]),
        tradesGenerated: count((v) => market.symbols.reduce((sum, s) => sum + s.streams[v].generated, 0)),
        restRequests: count((v) => restTrades.stats.requests[v]),
        restThrottled: count((v) => restTrades.stats.throttled[v]),
        restBanned: count((v) => restTrades.stats.banned[v]),
        historyRequests: count((v) => restHistory.requests[v]),
        historyRefused: count((v) => restHistory.refused[v]),
        archive: { ...archive.stats },
      };
    },
    historyTrades(venue, symbol, fromId, toId): SimTrade[] {
      const s = symbolOf(venue, symbol);
      const h = (histories.get(s) as Record<Venue, TradeHistory>)[venue];
      const out: SimTrade[] = [];
      for (let k = h.lowerBound(fromId); k < h.size; k += 1) {
        const t = h.at(k);
        if (t.id > toId) break;
        out.push({
          tradeId: String(t.id),
          price: formatTrimmed(t.price, s.spec.priceDecimals),
          quantity: formatTrimmed(t.lots, s.spec.lotDecimals),
          takerSide: t.buy ? 'buy' : 'sell',
          exchangeTime: t.time,
        });
      }
      return out;
    },
    step,
    async stop() {
      if (tickTimer) clearInterval(tickTimer);
      clearInterval(housekeepTimer);
      for (const timer of pendingCloses) clearTimeout(timer);
      for (const venue of venues) for (const conn of connections[venue]) conn.drop();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
      wss.close();
    },
  };
}
