import type { Db } from '@qt/db';
import { fetchInstruments, type VenueAdapter } from '@qt/market-data';
import { canonicalDecimal, type Instrument, type KnownVenue } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import { bundledInstruments } from './bundled-instruments.ts';

export type InstrumentSource = 'rest' | 'database' | 'bundled';

const venueNames: Record<KnownVenue, string> = { binance: 'Binance', okx: 'OKX', bybit: 'Bybit' };

/**
 * The instruments of each venue: fetched from the venue's REST endpoint at start and cached in the
 * database; when the venue is unreachable, the cached copy; on a first start offline, the bundled
 * snapshot. Which one served is logged and kept in `sources`.
 */
export class InstrumentCatalog {
  readonly #byKey = new Map<string, Instrument>();
  readonly sources = new Map<KnownVenue, InstrumentSource>();

  static async load(params: {
    db: Db;
    logger: Logger;
    venues: ReadonlyArray<{ adapter: VenueAdapter; restEndpoints: readonly string[] }>;
    timeoutMs?: number;
  }): Promise<InstrumentCatalog> {
    const catalog = new InstrumentCatalog();
    await Promise.all(
      params.venues.map(async ({ adapter, restEndpoints }) => {
        const venue = adapter.venue;
        let list: Instrument[];
        let source: InstrumentSource;
        try {
          list = await fetchInstruments(adapter, { restEndpoints, timeoutMs: params.timeoutMs ?? 5_000 });
          source = 'rest';
          await saveInstruments(params.db, venue, list);
        } catch (err) {
          const cached = await readInstruments(params.db, venue);
          list = cached.length > 0 ? cached : bundledInstruments(venue);
          source = cached.length > 0 ? 'database' : 'bundled';
          adapter.registerSymbols(list.map((i) => i.symbol));
          params.logger.warn(
            { venue, source, err: err instanceof Error ? err.message : String(err) },
            'venue instruments unreachable; serving a stored copy',
          );
        }
        catalog.sources.set(venue, source);
        for (const i of list) catalog.#byKey.set(`${venue}:${i.symbol}`, i);
        params.logger.info({ venue, source, instruments: list.length }, 'instruments loaded');
      }),
    );
    return catalog;
  }

  get(venue: string, symbol: string): Instrument | undefined {
    return this.#byKey.get(`${venue}:${symbol}`);
  }

  list(venue?: string): Instrument[] {
    const all = [...this.#byKey.values()];
    return (venue ? all.filter((i) => i.venue === venue) : all).sort(
      (a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol),
    );
  }
}

async function saveInstruments(db: Db, venue: KnownVenue, list: readonly Instrument[]): Promise<void> {
  await db.venue.upsert({ where: { id: venue }, create: { id: venue, name: venueNames[venue] }, update: {} });
  // One transaction per venue, in chunks: Binance lists ~3,000 spot pairs.
  for (let i = 0; i < list.length; i += 500) {
    const chunk = list.slice(i, i + 500);
    await db.$transaction(
      chunk.map((x) =>
        db.instrument.upsert({
          where: { venueId_symbol: { venueId: venue, symbol: x.symbol } },
          create: {
            venueId: venue,
            symbol: x.symbol,
            venueSymbol: x.venueSymbol,
            base: x.base,
            quote: x.quote,
            tickSize: x.tickSize,
            lotSize: x.lotSize,
            minNotional: x.minNotional,
            status: x.status,
          },
          update: {
            venueSymbol: x.venueSymbol,
            tickSize: x.tickSize,
            lotSize: x.lotSize,
            minNotional: x.minNotional,
            status: x.status,
          },
        }),
      ),
    );
  }
}

async function readInstruments(db: Db, venue: KnownVenue): Promise<Instrument[]> {
  const rows = await db.instrument.findMany({ where: { venueId: venue } });
  return rows.map((r) => ({
    venue,
    symbol: r.symbol,
    venueSymbol: r.venueSymbol,
    base: r.base,
    quote: r.quote,
    tickSize: canonicalDecimal(r.tickSize.toFixed()),
    lotSize: canonicalDecimal(r.lotSize.toFixed()),
    minNotional: canonicalDecimal(r.minNotional.toFixed()),
    status: r.status === 'trading' ? 'trading' : 'halted',
  }));
}
