import { AMOUNT_SCALE, type Instrument, ManualClock, parseScaled, type Quote, type Trade } from '@qt/shared';
import {
  type MatchingEngineOptions,
  type MatchingEvent,
  type MatchOrderRequest,
  type PaperFill,
  PaperMatchingEngine,
} from '../../src/matching/index.ts';

export const BTC: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minNotional: '5',
  status: 'trading',
};

export const OKX_BTC: Instrument = { ...BTC, venue: 'okx', venueSymbol: 'BTC-USDT' };

/** Amount units (10^-18) of a decimal string. */
export const u = (s: string): bigint => parseScaled(s, AMOUNT_SCALE);

/** A test's order with its amounts as decimal strings (as tests read best); `request` parses it. */
export type TextOrder = Omit<MatchOrderRequest, 'quantity' | 'price' | 'stopPrice'> & {
  quantity: string;
  price?: string | null;
  stopPrice?: string | null;
};

/** The units the matcher takes, from a test's decimal strings (the order path parses once, likewise). */
export function request(o: TextOrder): MatchOrderRequest {
  const amount = (s: string | null | undefined) => (s === undefined || s === null ? null : u(s));
  return { ...o, quantity: u(o.quantity), price: amount(o.price), stopPrice: amount(o.stopPrice) };
}

/** A price written as whole cents, as a decimal string (exact: integer arithmetic only). */
export function cents(c: number): string {
  return `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
}

/** A JSON encoding that keeps bigints (as `123n` strings), for byte-for-byte comparisons of event logs. */
export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

export type Harness = ReturnType<typeof harness>;

export function harness(
  options: Partial<Omit<MatchingEngineOptions, 'clock' | 'onEvent'>> = {},
  start = 1_000,
) {
  const clock = new ManualClock(start);
  const events: MatchingEvent[] = [];
  const engine = new PaperMatchingEngine({ clock, onEvent: (e) => events.push(e), ...options });
  engine.setInstrument(BTC);
  engine.setInstrument(OKX_BTC);
  let tradeSeq = 0;
  let orderSeq = 0;

  return {
    clock,
    events,
    engine,
    trade(price: string, quantity: string, takerSide: 'buy' | 'sell' = 'sell', venue = 'binance'): void {
      tradeSeq++;
      const t: Trade = {
        venue,
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        tradeId: `t${tradeSeq}`,
        price,
        quantity,
        takerSide,
        exchangeTime: clock.now(),
        receiveTime: clock.now(),
      };
      engine.onTrade(t);
    },
    quote(bidPrice: string, bidSize: string, askPrice: string, askSize: string, venue = 'binance'): void {
      const q: Quote = {
        venue,
        symbol: 'BTC-USDT',
        bidPrice,
        bidSize,
        askPrice,
        askSize,
        exchangeTime: clock.now(),
        receiveTime: clock.now(),
      };
      engine.onQuote(q);
    },
    place(req: Partial<TextOrder> & Pick<TextOrder, 'side' | 'type' | 'quantity'>) {
      orderSeq++;
      return engine.placeOrder(
        request({
          orderId: `o${orderSeq}`,
          accountId: 'acc-1',
          venue: 'binance',
          symbol: 'BTC-USDT',
          ...req,
        }),
      );
    },
    /** The events of one order, by type. */
    of(orderId: string): MatchingEvent[] {
      return events.filter((e) => e.order.id === orderId);
    },
    types(orderId: string): string[] {
      return events.filter((e) => e.order.id === orderId).map((e) => e.type);
    },
    fills(orderId?: string): PaperFill[] {
      const out: PaperFill[] = [];
      for (const e of events)
        if (e.type === 'orderFilled' && (!orderId || e.order.id === orderId)) out.push(e.fill);
      return out;
    },
  };
}
