import type { InstrumentSpec } from '../instruments.ts';
import { type Venue, venues } from '../types.ts';
import { PriceProcess } from './price-process.ts';
import { hashString } from './rng.ts';
import { TradeStream } from './trade-stream.ts';

/** One symbol: its fair price and one trade stream per venue. */
export interface SymbolMarket {
  spec: InstrumentSpec;
  price: PriceProcess;
  streams: Record<Venue, TradeStream>;
}

/**
 * The whole simulated market. `advance(ms)` moves market time and leaves each stream's trades for the
 * step in its batch; the venues then encode and send them. Market time is a plain ms counter, independent
 * of the injected clock (which only stamps frames).
 */
export class Market {
  readonly symbols: SymbolMarket[];
  readonly bySymbol = new Map<string, SymbolMarket>();
  time = 0;

  constructor(specs: InstrumentSpec[], seed: number, volatility: number, tradesPerSecond: number) {
    this.symbols = specs.map((spec) => {
      const salt = hashString(spec.symbol);
      const streams = {} as Record<Venue, TradeStream>;
      for (const venue of venues) {
        streams[venue] = new TradeStream(
          venue,
          spec,
          seed,
          hashString(`${venue}:${spec.symbol}`),
          tradesPerSecond,
        );
      }
      return { spec, price: new PriceProcess(spec.initialPrice, volatility, seed, salt), streams };
    });
    for (const s of this.symbols) this.bySymbol.set(s.spec.symbol, s);
  }

  setRate(tradesPerSecond: number): void {
    for (const s of this.symbols) {
      for (const venue of venues) s.streams[venue].setRate(tradesPerSecond, this.time);
    }
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (const s of this.symbols) {
      const { price, streams } = s;
      const binance = streams.binance;
      const okx = streams.okx;
      const bybit = streams.bybit;
      binance.batch.clear();
      okx.batch.clear();
      bybit.batch.clear();
      while (price.validUntil <= target) {
        const until = price.validUntil;
        binance.generateUntil(until, price);
        okx.generateUntil(until, price);
        bybit.generateUntil(until, price);
        price.advance();
      }
      binance.generateUntil(target, price);
      okx.generateUntil(target, price);
      bybit.generateUntil(target, price);
    }
    this.time = target;
  }
}
