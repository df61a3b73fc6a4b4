/**
 * `GET /api/v5/public/instruments?instType=SPOT` (okx.com/docs-v5, 2025): `instId`, `baseCcy`, `quoteCcy`,
 * `tickSz`, `lotSz`, `minSz`, `state` ("live" trades). OKX publishes no minimum notional for spot, so it is
 * "0"; `minSz` (minimum order size) has no field in `Instrument` yet.
 */
import { canonicalSymbol, type Instrument } from '@qt/shared';
import { isDecimal, isRecord, trimDecimal } from '../wire-helpers.ts';

export function parseOkxInstruments(body: unknown): Instrument[] {
  if (!isRecord(body) || !Array.isArray(body.data)) throw new Error('instruments: no `data` array');
  if (body.code !== undefined && String(body.code) !== '0')
    throw new Error(`instruments: code ${String(body.code)}`);
  const out: Instrument[] = [];
  for (const d of body.data) {
    if (!isRecord(d)) continue;
    const { instId, baseCcy, quoteCcy, tickSz, lotSz, state } = d;
    if (typeof instId !== 'string' || typeof baseCcy !== 'string' || typeof quoteCcy !== 'string') continue;
    if (!canonicalSymbol.safeParse(instId).success || !isDecimal(tickSz) || !isDecimal(lotSz)) continue;
    out.push({
      venue: 'okx',
      symbol: instId,
      venueSymbol: instId,
      base: baseCcy,
      quote: quoteCcy,
      tickSize: trimDecimal(tickSz),
      lotSize: trimDecimal(lotSz),
      minNotional: '0',
      status: state === 'live' ? 'trading' : 'halted',
    });
  }
  return out;
}
