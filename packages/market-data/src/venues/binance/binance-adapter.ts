import { binanceDepthFrame } from '../depth-frames.ts';
import { chunk, GluedSymbolCache, joinUrl } from '../symbol-cache.ts';
import type { OutgoingRequest, Subscription, VenueAdapter } from '../venue-adapter.ts';
import { glueSymbol } from '../wire-helpers.ts';
import { parseBinanceInstruments } from './binance-instruments.ts';
import { parseBinanceFrame } from './binance-parser.ts';

export interface BinanceAdapterOptions {
  /** Streams put in the connect URL (`/stream?streams=a/b`); the rest are sent as SUBSCRIBE. Default 200. */
  urlStreams?: number;
  /** Streams per SUBSCRIBE message. Default 200. */
  streamsPerRequest?: number;
  /** `aggTrade` instead of `trade` (one frame per taker order; gaps still checked on `f`..`l`). */
  tradeStream?: 'trade' | 'aggTrade';
}

const maxUrlChars = 4000;

/** Binance Spot public streams (combined `/stream`), per binance-spot-api-docs as of 2026. */
export function createBinanceAdapter(options: BinanceAdapterOptions = {}): VenueAdapter {
  const urlStreams = Math.max(1, options.urlStreams ?? 200);
  const perRequest = options.streamsPerRequest ?? 200;
  const tradeStream = options.tradeStream ?? 'trade';
  const symbols = new GluedSymbolCache();
  const canonical = (s: string) => symbols.canonical(s);
  // Depth: the diff stream every 100 ms, synchronised with `GET /api/v3/depth` (src/books/README.md).
  const suffix = { trades: tradeStream, quotes: 'bookTicker', depth: 'depth@100ms' } as const;
  const streamOf = (sub: Subscription) => `${glueSymbol(sub.symbol).toLowerCase()}@${suffix[sub.channel]}`;

  const requests = (
    method: 'SUBSCRIBE' | 'UNSUBSCRIBE',
    subs: readonly Subscription[],
    nextId: () => number,
  ) =>
    chunk(subs, perRequest).map((group): OutgoingRequest => {
      const id = nextId();
      return {
        requestId: String(id),
        text: JSON.stringify({ method, params: group.map(streamOf), id }),
        subscriptions: group,
      };
    });

  return {
    venue: 'binance',
    defaultWsEndpoints: [
      'wss://stream.binance.com:9443',
      'wss://stream.binance.com:443',
      'wss://data-stream.binance.vision',
    ],
    defaultRestEndpoints: ['https://api.binance.com', 'https://data-api.binance.vision'],
    limits: {
      maxSubscriptionsPerConnection: 1024,
      // 5 incoming messages/s per connection, pongs included: keep one per second for them.
      maxOutgoingPerSecond: 4,
      subscribeRequestsPerHour: null,
      connectAttempts: { max: 300, windowMs: 5 * 60_000 },
      maxConnectionLifetimeMs: 24 * 60 * 60_000,
    },
    // `ws` answers ping frames with a pong copying the payload (its `autoPong`, on by default).
    heartbeat: { kind: 'server-ping', serverIntervalMs: 20_000 },
    // Three missed server pings.
    defaultStaleAfterMs: 60_000,
    sequencing: 'consecutive',
    toVenueSymbol: glueSymbol,
    toCanonicalSymbol: (venueSymbol) => symbols.canonical(venueSymbol.toUpperCase()),
    registerSymbols: (list) => symbols.register(list),
    pathOf: () => '/stream',
    connectUrl(base, subs) {
      const inUrl: string[] = [];
      let chars = 0;
      let n = 0;
      for (; n < subs.length && n < urlStreams; n++) {
        const sub = subs[n] as Subscription;
        const stream = streamOf(sub);
        if (n > 0 && chars + stream.length + 1 > maxUrlChars) break;
        chars += stream.length + 1;
        inUrl.push(stream);
      }
      return { url: joinUrl(base, `/stream?streams=${inUrl.join('/')}`), pending: subs.slice(n) };
    },
    subscribeRequests: (subs, nextId) => requests('SUBSCRIBE', subs, nextId),
    unsubscribeRequests: (subs, nextId) => requests('UNSUBSCRIBE', subs, nextId),
    parse: (text, receiveTime) =>
      binanceDepthFrame(text, canonical) ?? parseBinanceFrame(text, receiveTime, canonical),
    instrumentsUrl: (base) => joinUrl(base, '/api/v3/exchangeInfo'),
    parseInstruments: parseBinanceInstruments,
  };
}
