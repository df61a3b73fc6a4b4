import { AMOUNT_SCALE, parseScaled, type Quote, type Trade } from '@qt/shared';
import type { MarkPrices } from '@qt/trading';

const key = (venue: string, symbol: string) => `${venue}|${symbol}`;

/**
 * The latest market prices the trading service needs, in amount units: last trade per (venue, symbol)
 * for the risk band and marking, best bid/ask for sizing a market buy's reservation.
 */
export class MarketMarks {
  readonly #last = new Map<string, bigint>();
  readonly #bySymbol = new Map<string, bigint>();
  readonly #ask = new Map<string, bigint>();

  onTrade(t: Trade): void {
    const price = parseScaled(t.price, AMOUNT_SCALE, 'down');
    this.#last.set(key(t.venue, t.symbol), price);
    this.#bySymbol.set(t.symbol, price);
  }

  onQuote(q: Quote): void {
    const ask = parseScaled(q.askPrice, AMOUNT_SCALE, 'up');
    if (ask > 0n) this.#ask.set(key(q.venue, q.symbol), ask);
  }

  last(venue: string, symbol: string): bigint | null {
    return this.#last.get(key(venue, symbol)) ?? null;
  }

  ask(venue: string, symbol: string): bigint | null {
    return this.#ask.get(key(venue, symbol)) ?? null;
  }

  /** Last price per symbol, whichever venue printed it last: what equity is marked to. */
  prices(): MarkPrices {
    return this.#bySymbol;
  }

  /** The mark of one position: its own venue's last price. */
  pricesFor(venue: string, symbol: string): MarkPrices {
    const p = this.last(venue, symbol);
    return p === null ? new Map() : new Map([[symbol, p]]);
  }
}
