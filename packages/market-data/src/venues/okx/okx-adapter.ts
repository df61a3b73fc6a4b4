import { okxDepthFrame } from '../depth-frames.ts';
import { joinUrl } from '../symbol-cache.ts';
import type { OutgoingRequest, Subscription, VenueAdapter } from '../venue-adapter.ts';
import { parseOkxInstruments } from './okx-instruments.ts';
import { parseOkxFrame } from './okx-parser.ts';

export interface OkxAdapterOptions {
  /**
   * `trades` (public URL, aggregated per taker order: fewer frames) or `trades-all` (business URL, one
   * frame per trade). Default `trades`.
   */
  tradesChannel?: 'trades' | 'trades-all';
  /** Channels per connection. OKX closes with 4008/4009 past its (unpublished) cap. Default 256. */
  maxSubscriptionsPerConnection?: number;
}

/** One request's channel list at most 64 KB; stay under it with room for the envelope. */
const maxRequestBytes = 60_000;
const spotInstId = /^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/;

/** OKX v5 public market data (okx.com/docs-v5, 2025). */
export function createOkxAdapter(options: OkxAdapterOptions = {}): VenueAdapter {
  const tradesChannel = options.tradesChannel ?? 'trades';
  const argOf = (sub: Subscription) => ({
    channel: { trades: tradesChannel, quotes: 'bbo-tbt', depth: 'books' }[sub.channel],
    instId: sub.symbol,
  });
  // OKX spot instIds are the canonical symbols; swaps/futures (`BTC-USDT-SWAP`) are not spot.
  const known = new Map<string, string | null>();
  const canonical = (instId: string) => {
    let hit = known.get(instId);
    if (hit === undefined) {
      hit = spotInstId.test(instId) ? instId : null;
      if (known.size < 20_000) known.set(instId, hit);
    }
    return hit;
  };

  const pathOf = (sub: Subscription) =>
    sub.channel === 'trades' && tradesChannel === 'trades-all' ? '/ws/v5/business' : '/ws/v5/public';

  const requests = (op: 'subscribe' | 'unsubscribe', subs: readonly Subscription[], nextId: () => number) => {
    const out: OutgoingRequest[] = [];
    let group: Subscription[] = [];
    let bytes = 0;
    const flush = () => {
      if (group.length === 0) return;
      const id = String(nextId());
      out.push({
        requestId: id,
        text: JSON.stringify({ id, op, args: group.map(argOf) }),
        subscriptions: group,
      });
      group = [];
      bytes = 0;
    };
    for (const sub of subs) {
      const argBytes = Buffer.byteLength(JSON.stringify(argOf(sub))) + 1;
      if (bytes + argBytes > maxRequestBytes) flush();
      group.push(sub);
      bytes += argBytes;
    }
    flush();
    return out;
  };

  return {
    venue: 'okx',
    defaultWsEndpoints: ['wss://ws.okx.com:8443', 'wss://wseea.okx.com:8443', 'wss://wsus.okx.com:8443'],
    defaultRestEndpoints: ['https://www.okx.com'],
    limits: {
      maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 256,
      maxOutgoingPerSecond: 5,
      subscribeRequestsPerHour: 480,
      connectAttempts: { max: 3, windowMs: 1000 },
      maxConnectionLifetimeMs: null,
    },
    // The server closes after 30 s without traffic: ping after 20 s of silence, expect `pong`.
    // The docs ask for `ping` after N < 30 s without a message; servers have also been seen closing
    // (4004) connections whose client sent nothing for 30 s while data flowed. A ping every 20 s
    // satisfies both readings and costs one tiny frame.
    heartbeat: { kind: 'client-ping', intervalMs: 20_000, whenIdle: false, text: 'ping' },
    defaultStaleAfterMs: 25_000,
    sequencing: 'consecutive',
    toVenueSymbol: (symbol) => symbol,
    toCanonicalSymbol: canonical,
    registerSymbols: () => {},
    pathOf,
    connectUrl: (base, subs) => {
      const first = subs[0];
      return {
        url: joinUrl(base, first === undefined ? '/ws/v5/public' : pathOf(first)),
        pending: [...subs],
      };
    },
    subscribeRequests: (subs, nextId) => requests('subscribe', subs, nextId),
    unsubscribeRequests: (subs, nextId) => requests('unsubscribe', subs, nextId),
    parse: (text, receiveTime) =>
      okxDepthFrame(text, canonical) ?? parseOkxFrame(text, receiveTime, canonical),
    instrumentsUrl: (base) => joinUrl(base, '/api/v5/public/instruments?instType=SPOT'),
    parseInstruments: parseOkxInstruments,
  };
}
