/**
 * `GET /v5/market/instruments-info?category=spot` (bybit-exchange.github.io/docs/v5, 2026): `symbol`,
 * `baseCoin`, `quoteCoin`, `status` ("Trading"), `priceFilter.tickSize`, `lotSizeFilter.basePrecision`
 * (the quantity step), `lotSizeFilter.minOrderAmt` (minimum notional). Spot answers in one page; linear
 * would page with `cursor`.
 */
import { canonicalSymbol, type Instrument } from '@qt/shared';
import { isDecimal, isRecord, trimDecimal } from '../wire-helpers.ts';

export function parseBybitInstruments(body: unknown): Instrument[] {
  if (!isRecord(body) || !isRecord(body.result) || !Array.isArray(body.result.list)) {
    throw new Error('instruments-info: no `result.list` array');
  }
  if (body.retCode !== undefined && body.retCode !== 0)
    throw new Error(`instruments-info: retCode ${String(body.retCode)}`);
  const out: Instrument[] = [];
  for (const d of body.result.list) {
    if (!isRecord(d) || !isRecord(d.priceFilter) || !isRecord(d.lotSizeFilter)) continue;
    const { symbol, baseCoin, quoteCoin, status } = d;
    if (typeof symbol !== 'string' || typeof baseCoin !== 'string' || typeof quoteCoin !== 'string') continue;
    const tickSize = d.priceFilter.tickSize;
    const lotSize = d.lotSizeFilter.basePrecision;
    const minNotional = d.lotSizeFilter.minOrderAmt ?? '0';
    const canonical = `${baseCoin}-${quoteCoin}`;
    if (!canonicalSymbol.safeParse(canonical).success) continue;
    if (!isDecimal(tickSize) || !isDecimal(lotSize) || !isDecimal(minNotional)) continue;
    out.push({
      venue: 'bybit',
      symbol: canonical,
      venueSymbol: symbol,
      base: baseCoin,
      quote: quoteCoin,
      tickSize: trimDecimal(tickSize),
      lotSize: trimDecimal(lotSize),
      minNotional: trimDecimal(minNotional),
      status: status === 'Trading' ? 'trading' : 'halted',
    });
  }
  return out;
}
