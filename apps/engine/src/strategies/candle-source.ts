import type { MarketDataQueries } from '@qt/db';
import type { Instrument, Kline, Trade } from '@qt/shared';

const PAGE = 5_000;

/**
 * Stored closed candles of several instruments, merged in time order (ties in instrument order, so a
 * replay is deterministic), read page by page: a year of 1m candles never sits in memory at once.
 */
export async function* mergedCandles(
  queries: MarketDataQueries,
  instruments: readonly Instrument[],
  interval: string,
  fromMs: number,
  toMs: number,
): AsyncGenerator<Kline> {
  const cursors = instruments.map((i) => new SeriesCursor(queries, i, interval, fromMs, toMs));
  for (;;) {
    let best: { cursor: SeriesCursor; candle: Kline } | null = null;
    for (const cursor of cursors) {
      const candle = await cursor.peek();
      if (candle && (!best || candle.openTime < best.candle.openTime)) best = { cursor, candle };
    }
    if (!best) return;
    best.cursor.take();
    yield best.candle;
  }
}

class SeriesCursor {
  #page: Kline[] = [];
  #at = 0;
  #after: number | undefined;
  #done = false;

  constructor(
    private readonly queries: MarketDataQueries,
    private readonly instrument: Instrument,
    private readonly interval: string,
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  async peek(): Promise<Kline | undefined> {
    if (this.#at < this.#page.length) return this.#page[this.#at];
    if (this.#done) return undefined;
    this.#page = await this.queries.closedCandlesAscending({
      venue: this.instrument.venue,
      symbol: this.instrument.symbol,
      interval: this.interval,
      fromMs: this.fromMs,
      toMs: this.toMs,
      after: this.#after,
      limit: PAGE,
    });
    this.#at = 0;
    if (this.#page.length < PAGE) this.#done = true;
    const last = this.#page.at(-1);
    if (last) this.#after = last.openTime;
    return this.#page[0];
  }

  take(): void {
    this.#at++;
  }
}

/** Stored trades of several instruments merged by exchange time (ties in instrument order), paged. */
export async function* mergedTrades(
  queries: MarketDataQueries,
  instruments: readonly Instrument[],
  fromMs: number,
  toMs: number,
): AsyncGenerator<Trade> {
  const cursors = instruments.map((i) => new TradeCursor(queries, i, fromMs, toMs));
  for (;;) {
    let best: { cursor: TradeCursor; trade: Trade } | null = null;
    for (const cursor of cursors) {
      const trade = await cursor.peek();
      if (trade && (!best || trade.exchangeTime < best.trade.exchangeTime)) best = { cursor, trade };
    }
    if (!best) return;
    best.cursor.take();
    yield best.trade;
  }
}

class TradeCursor {
  #page: Trade[] = [];
  #at = 0;
  #done = false;

  constructor(
    private readonly queries: MarketDataQueries,
    private readonly instrument: Instrument,
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  async peek(): Promise<Trade | undefined> {
    if (this.#at < this.#page.length) return this.#page[this.#at];
    if (this.#done) return undefined;
    const last = this.#page.at(-1);
    this.#page = await this.queries.tradesAscending({
      venue: this.instrument.venue,
      symbol: this.instrument.symbol,
      fromMs: this.fromMs,
      toMs: this.toMs,
      after: last ? { exchangeTime: last.exchangeTime, tradeId: last.tradeId } : undefined,
      limit: PAGE,
    });
    this.#at = 0;
    if (this.#page.length < PAGE) this.#done = true;
    return this.#page[0];
  }

  take(): void {
    this.#at++;
  }
}
