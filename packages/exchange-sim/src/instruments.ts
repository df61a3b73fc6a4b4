import { formatFixed } from './decimal-format.ts';
import { hashString } from './market/rng.ts';
import type { SimInstrument, Venue } from './types.ts';

/** What the market needs about one symbol. Steps are powers of ten, so prices are integer ticks. */
export interface InstrumentSpec {
  symbol: string;
  base: string;
  quote: string;
  priceDecimals: number;
  lotDecimals: number;
  initialPrice: number;
  minNotional: number;
}

/** Rough mid-2020s levels; the precision follows Binance's filters for these pairs. */
const known: Record<string, [priceDecimals: number, lotDecimals: number, price: number]> = {
  'BTC-USDT': [2, 5, 65_000],
  'ETH-USDT': [2, 4, 3_400],
  'SOL-USDT': [2, 3, 150],
  'BNB-USDT': [2, 3, 600],
  'XRP-USDT': [4, 1, 0.6],
  'DOGE-USDT': [5, 0, 0.15],
  'ADA-USDT': [4, 1, 0.45],
  'AVAX-USDT': [2, 2, 35],
  'LINK-USDT': [3, 2, 15],
  'DOT-USDT': [3, 2, 7],
  'LTC-USDT': [2, 3, 85],
  'TRX-USDT': [5, 0, 0.12],
};

export const defaultSymbols: readonly string[] = Object.keys(known);

const canonical = /^([A-Z0-9]{1,20})-([A-Z0-9]{1,20})$/;

/** A spec for any canonical symbol: known ones as listed, others with a price derived from the name. */
export function instrumentSpec(symbol: string): InstrumentSpec {
  const m = canonical.exec(symbol);
  if (!m?.[1] || !m[2]) throw new RangeError(`symbol ${symbol} is not canonical BASE-QUOTE upper case`);
  const k = known[symbol];
  if (k) {
    return {
      symbol,
      base: m[1],
      quote: m[2],
      priceDecimals: k[0],
      lotDecimals: k[1],
      initialPrice: k[2],
      minNotional: 5,
    };
  }
  const price = 1 + (hashString(symbol) % 9_900) / 100;
  return {
    symbol,
    base: m[1],
    quote: m[2],
    priceDecimals: 4,
    lotDecimals: 2,
    initialPrice: price,
    minNotional: 5,
  };
}

export function venueSymbol(venue: Venue, spec: InstrumentSpec): string {
  return venue === 'okx' ? spec.symbol : spec.base + spec.quote;
}

export function toSimInstrument(venue: Venue, spec: InstrumentSpec): SimInstrument {
  return {
    symbol: spec.symbol,
    venueSymbol: venueSymbol(venue, spec),
    base: spec.base,
    quote: spec.quote,
    tickSize: formatFixed(1, spec.priceDecimals),
    lotSize: formatFixed(1, spec.lotDecimals),
    minNotional: String(spec.minNotional),
  };
}
