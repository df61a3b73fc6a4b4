import type { Instrument, KnownVenue } from '@qt/shared';

/**
 * Served when a venue's REST endpoint is unreachable and the database has no cached copy (first start
 * offline). Values from the venues' public instrument endpoints (Binance exchangeInfo, OKX
 * public/instruments, Bybit instruments-info) as of 2025; the live answer replaces them whenever the
 * venue answers. OKX publishes a minimum size, not a minimum notional: its minNotional is 0 here too.
 */
type Row = [symbol: string, tick: string, lot: string, minNotional: string];

const rows: Record<KnownVenue, Row[]> = {
  binance: [
    ['BTC-USDT', '0.01', '0.00001', '5'],
    ['ETH-USDT', '0.01', '0.0001', '5'],
    ['SOL-USDT', '0.01', '0.001', '5'],
    ['XRP-USDT', '0.0001', '0.1', '5'],
    ['DOGE-USDT', '0.00001', '1', '1'],
    ['ADA-USDT', '0.0001', '0.1', '5'],
    ['BNB-USDT', '0.01', '0.001', '5'],
    ['LTC-USDT', '0.01', '0.001', '5'],
    ['LINK-USDT', '0.01', '0.01', '5'],
    ['AVAX-USDT', '0.01', '0.01', '5'],
    ['DOT-USDT', '0.001', '0.01', '5'],
    ['TRX-USDT', '0.0001', '0.1', '1'],
  ],
  okx: [
    ['BTC-USDT', '0.1', '0.00000001', '0'],
    ['ETH-USDT', '0.01', '0.000001', '0'],
    ['SOL-USDT', '0.01', '0.000001', '0'],
    ['XRP-USDT', '0.0001', '0.000001', '0'],
    ['DOGE-USDT', '0.00001', '0.000001', '0'],
    ['ADA-USDT', '0.0001', '0.000001', '0'],
    ['BNB-USDT', '0.01', '0.000001', '0'],
    ['LTC-USDT', '0.01', '0.000001', '0'],
    ['LINK-USDT', '0.001', '0.000001', '0'],
    ['AVAX-USDT', '0.01', '0.000001', '0'],
    ['DOT-USDT', '0.001', '0.000001', '0'],
    ['TRX-USDT', '0.00001', '0.000001', '0'],
  ],
  bybit: [
    ['BTC-USDT', '0.01', '0.000001', '5'],
    ['ETH-USDT', '0.01', '0.00001', '5'],
    ['SOL-USDT', '0.01', '0.001', '5'],
    ['XRP-USDT', '0.0001', '0.01', '5'],
    ['DOGE-USDT', '0.00001', '0.1', '5'],
    ['ADA-USDT', '0.0001', '0.01', '5'],
    ['BNB-USDT', '0.1', '0.001', '5'],
    ['LTC-USDT', '0.01', '0.00001', '5'],
    ['LINK-USDT', '0.001', '0.01', '5'],
    ['AVAX-USDT', '0.001', '0.001', '5'],
    ['DOT-USDT', '0.0001', '0.001', '5'],
    ['TRX-USDT', '0.00001', '0.1', '5'],
  ],
};

const venueSymbol: Record<KnownVenue, (base: string, quote: string) => string> = {
  binance: (b, q) => `${b}${q}`,
  okx: (b, q) => `${b}-${q}`,
  bybit: (b, q) => `${b}${q}`,
};

export function bundledInstruments(venue: KnownVenue): Instrument[] {
  return rows[venue].map(([symbol, tickSize, lotSize, minNotional]) => {
    const [base, quote] = symbol.split('-') as [string, string];
    return {
      venue,
      symbol,
      venueSymbol: venueSymbol[venue](base, quote),
      base,
      quote,
      tickSize,
      lotSize,
      minNotional,
      status: 'trading',
    };
  });
}
