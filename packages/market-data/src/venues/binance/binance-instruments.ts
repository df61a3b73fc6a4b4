/**
 * `GET /api/v3/exchangeInfo` (binance-spot-api-docs `rest-api.md`, 2026): per symbol `status`,
 * `baseAsset`, `quoteAsset` and `filters` with PRICE_FILTER.tickSize, LOT_SIZE.stepSize and
 * NOTIONAL.minNotional (MIN_NOTIONAL.minNotional on older answers).
 */
import { canonicalSymbol, type Instrument } from '@qt/shared';
import { isDecimal, isRecord, trimDecimal } from '../wire-helpers.ts';

export function parseBinanceInstruments(body: unknown): Instrument[] {
  if (!isRecord(body) || !Array.isArray(body.symbols)) throw new Error('exchangeInfo: no `symbols` array');
  const out: Instrument[] = [];
  for (const s of body.symbols) {
    if (!isRecord(s) || !Array.isArray(s.filters)) continue;
    const { symbol, baseAsset, quoteAsset, status } = s;
    if (typeof symbol !== 'string' || typeof baseAsset !== 'string' || typeof quoteAsset !== 'string')
      continue;
    let tickSize: unknown;
    let lotSize: unknown;
    let minNotional: unknown = '0';
    for (const f of s.filters) {
      if (!isRecord(f)) continue;
      if (f.filterType === 'PRICE_FILTER') tickSize = f.tickSize;
      else if (f.filterType === 'LOT_SIZE') lotSize = f.stepSize;
      else if (f.filterType === 'NOTIONAL' || f.filterType === 'MIN_NOTIONAL') minNotional = f.minNotional;
    }
    const canonical = `${baseAsset}-${quoteAsset}`;
    if (!canonicalSymbol.safeParse(canonical).success) continue;
    if (!isDecimal(tickSize) || !isDecimal(lotSize) || !isDecimal(minNotional)) continue;
    out.push({
      venue: 'binance',
      symbol: canonical,
      venueSymbol: symbol,
      base: baseAsset,
      quote: quoteAsset,
      tickSize: trimDecimal(tickSize),
      lotSize: trimDecimal(lotSize),
      minNotional: trimDecimal(minNotional),
      status: status === 'TRADING' ? 'trading' : 'halted',
    });
  }
  return out;
}
