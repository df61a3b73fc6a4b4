import { bybitDepthFrame } from '../depth-frames.ts';
import { chunk, GluedSymbolCache, joinUrl } from '../symbol-cache.ts';
import type { OutgoingRequest, Subscription, VenueAdapter } from '../venue-adapter.ts';
import { glueSymbol } from '../wire-helpers.ts';
import { parseBybitInstruments } from './bybit-instruments.ts';
import { parseBybitFrame } from './bybit-parser.ts';

export interface BybitAdapterOptions {
  /** Topics per connection; Bybit caps a connection's args under 21,000 characters. Default 500. */
  maxSubscriptionsPerConnection?: number;
}

/** At most 10 args per subscribe request on spot. */
const argsPerRequest = 10;

/** Bybit v5 public spot streams (bybit-exchange.github.io/docs/v5, 2026). */
export function createBybitAdapter(options: BybitAdapterOptions = {}): VenueAdapter {
  const symbols = new GluedSymbolCache();
  const canonical = (s: string) => symbols.canonical(s);
  // `orderbook.1` is the best bid/ask; `orderbook.50` the L2 depth (snapshot + deltas, src/books/README.md).
  const prefix = { trades: 'publicTrade', quotes: 'orderbook.1', depth: 'orderbook.50' } as const;
  const topicOf = (sub: Subscription) => `${prefix[sub.channel]}.${glueSymbol(sub.symbol)}`;

  const requests = (op: 'subscribe' | 'unsubscribe', subs: readonly Subscription[], nextId: () => number) =>
    chunk(subs, argsPerRequest).map((group): OutgoingRequest => {
      const reqId = String(nextId());
      return {
        requestId: reqId,
        text: JSON.stringify({ req_id: reqId, op, args: group.map(topicOf) }),
        subscriptions: group,
      };
    });

  return {
    venue: 'bybit',
    defaultWsEndpoints: ['wss://stream.bybit.com'],
    defaultRestEndpoints: ['https://api.bybit.com'],
    limits: {
      maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 500,
      maxOutgoingPerSecond: 10,
      subscribeRequestsPerHour: null,
      connectAttempts: { max: 500, windowMs: 5 * 60_000 },
      maxConnectionLifetimeMs: null,
    },
    heartbeat: {
      kind: 'client-ping',
      intervalMs: 20_000,
      whenIdle: false,
      text: '{"req_id":"ping","op":"ping"}',
    },
    // A pong is due every 20 s; `orderbook.1` is also re-sent every 3 s.
    defaultStaleAfterMs: 30_000,
    sequencing: 'unique',
    toVenueSymbol: glueSymbol,
    toCanonicalSymbol: (venueSymbol) => symbols.canonical(venueSymbol.toUpperCase()),
    registerSymbols: (list) => symbols.register(list),
    pathOf: () => '/v5/public/spot',
    connectUrl: (base, subs) => ({ url: joinUrl(base, '/v5/public/spot'), pending: [...subs] }),
    subscribeRequests: (subs, nextId) => requests('subscribe', subs, nextId),
    unsubscribeRequests: (subs, nextId) => requests('unsubscribe', subs, nextId),
    parse: (text, receiveTime) =>
      bybitDepthFrame(text, canonical) ?? parseBybitFrame(text, receiveTime, canonical),
    instrumentsUrl: (base) => joinUrl(base, '/v5/market/instruments-info?category=spot'),
    parseInstruments: parseBybitInstruments,
  };
}
