import { AMOUNT_SCALE, divRound, formatScaled, type OrderSide, pow10n } from '@qt/shared';

const ONE = pow10n(AMOUNT_SCALE);
const fmt = (u: bigint) => formatScaled(u, AMOUNT_SCALE);

/** One position from flat to flat (or to a flip) on one instrument; decimals as strings. */
export interface RoundTrip {
  venue: string;
  symbol: string;
  side: 'long' | 'short';
  entryTime: number;
  exitTime: number;
  /** Largest absolute quantity held during the trip. */
  quantity: string;
  /** Quote-weighted average price of the fills that opened or grew it (half-even). */
  entryPrice: string;
  /** Quote-weighted average price of the fills that reduced or closed it (half-even). */
  exitPrice: string;
  /**
   * Realized PnL of the position over the trip, net of every fee paid on it (the position book's
   * realizedPnl). A fill that flips the position closes this trip and opens the next; its whole fee goes
   * to the trip it closes.
   */
  pnl: string;
  /** pnl / the quote paid or received to open it (every opening fill), in percent, 2 decimals half-even. */
  pnlPercent: string | null;
  /** Fees paid on the trip's fills, in the quote currency (fills pay fees in the quote asset). */
  fees: string;
}

interface Open {
  side: 'long' | 'short';
  entryTime: number;
  entryQty: bigint;
  entryQuote: bigint;
  exitQty: bigint;
  exitQuote: bigint;
  maxQty: bigint;
  realizedAtStart: bigint;
  fees: bigint;
}

const abs = (n: bigint) => (n < 0n ? -n : n);
/** part / whole in percent at 2 decimals, half-even, exact ("1.25" for 1.25 %). */
const percentOf = (part: bigint, whole: bigint) =>
  formatScaled(divRound(part * 10_000n, whole, 'halfEven'), 2, 2);

/** Follows fills per instrument and cuts round trips where the position returns to zero or flips. */
export class RoundTripTracker {
  readonly trips: RoundTrip[] = [];
  readonly pnls: bigint[] = [];
  /** Fees per trip, as units (the totals sum these, not the strings). */
  readonly fees: bigint[] = [];
  readonly #open: (Open | null)[];
  readonly #realized: bigint[];

  constructor(instruments: number) {
    this.#open = new Array<Open | null>(instruments).fill(null);
    this.#realized = new Array<bigint>(instruments).fill(0n);
  }

  /**
   * A booked fill: `before` and `after` are the signed positions around it, `realizedAfter` the position's
   * realized PnL (net of fees) after it.
   */
  onFill(
    k: number,
    venue: string,
    symbol: string,
    f: { side: OrderSide; quantity: bigint; quote: bigint; fee: bigint; time: number },
    before: bigint,
    after: bigint,
    realizedAfter: bigint,
  ): void {
    const realizedBefore = this.#realized[k] as bigint;
    this.#realized[k] = realizedAfter;
    let trip = this.#open[k] ?? null;
    let openQty = f.quantity;
    let openQuote = f.quote;
    // A fill's whole fee goes to one trip: the one it closes (a flip's too), else the one it opens or grows.
    let fee = f.fee;
    if (trip && before !== 0n && before > 0n !== (f.side === 'buy')) {
      // biome-ignore lint/complexity/useMathMinMax: bigint operands (Math.min throws on bigint)
      const closeQty = f.quantity < abs(before) ? f.quantity : abs(before);
      const closeQuote =
        closeQty === f.quantity ? f.quote : divRound(f.quote * closeQty, f.quantity, 'halfEven');
      trip.exitQty += closeQty;
      trip.fees += fee;
      fee = 0n;
      trip.exitQuote += closeQuote;
      openQty -= closeQty;
      openQuote -= closeQuote;
      if (after === 0n || after > 0n !== before > 0n) {
        const pnl = realizedAfter - trip.realizedAtStart;
        this.trips.push({
          venue,
          symbol,
          side: trip.side,
          entryTime: trip.entryTime,
          exitTime: f.time,
          quantity: fmt(trip.maxQty),
          entryPrice: fmt(divRound(trip.entryQuote * ONE, trip.entryQty, 'halfEven')),
          exitPrice: fmt(divRound(trip.exitQuote * ONE, trip.exitQty, 'halfEven')),
          pnl: fmt(pnl),
          pnlPercent: trip.entryQuote > 0n ? percentOf(pnl, trip.entryQuote) : null,
          fees: fmt(trip.fees),
        });
        this.pnls.push(pnl);
        this.fees.push(trip.fees);
        trip = null;
        this.#open[k] = null;
      }
    }
    if (openQty === 0n) return;
    if (!trip) {
      trip = {
        side: f.side === 'buy' ? 'long' : 'short',
        entryTime: f.time,
        entryQty: 0n,
        entryQuote: 0n,
        exitQty: 0n,
        exitQuote: 0n,
        maxQty: 0n,
        realizedAtStart: before === 0n ? realizedBefore : realizedAfter,
        fees: 0n,
      };
      this.#open[k] = trip;
    }
    trip.fees += fee;
    trip.entryQty += openQty;
    trip.entryQuote += openQuote;
    if (abs(after) > trip.maxQty) trip.maxQty = abs(after);
  }
}
