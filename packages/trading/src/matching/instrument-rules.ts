import {
  AMOUNT_SCALE,
  type Instrument,
  parseScaled,
  pow10n,
  significantScaleOf,
  tryParseUnits,
} from '@qt/shared';
import type { RejectReason } from './types.ts';

/**
 * An instrument's tick, lot and min notional, parsed once. Book prices are held as `number` units of
 * 10^-priceScale (priceScale = the tick's decimals): every such price is an integer below 2^53, which
 * `tryParseUnits` proves while parsing, so comparing and stepping them is exact. Amounts (quantities,
 * notionals) stay bigint units of 10^-18.
 */
export class InstrumentRules {
  readonly instrument: Instrument;
  readonly priceScale: number;
  /** Tick in book price units. */
  readonly tickUnits: number;
  readonly lot: bigint;
  readonly minNotional: bigint;
  /** 10^(18 - priceScale): book price units -> amount units. */
  readonly #toAmount: bigint;
  readonly lotAsNumber: number;

  constructor(instrument: Instrument) {
    this.instrument = instrument;
    this.priceScale = significantScaleOf(instrument.tickSize);
    if (this.priceScale > 15) {
      throw new RangeError(`${instrument.symbol}: a tick of ${instrument.tickSize} is finer than 10^-15`);
    }
    this.tickUnits = tryParseUnits(instrument.tickSize, this.priceScale);
    this.lot = parseScaled(instrument.lotSize, AMOUNT_SCALE, 'up');
    this.minNotional = parseScaled(instrument.minNotional, AMOUNT_SCALE, 'up');
    if (!(this.tickUnits > 0) || this.lot <= 0n) {
      throw new RangeError(`${instrument.symbol}: tick and lot size must be > 0`);
    }
    this.#toAmount = pow10n(AMOUNT_SCALE - this.priceScale);
    this.lotAsNumber = Number(instrument.lotSize);
  }

  /** Book price units -> amount units (exact). */
  toAmount(units: number): bigint {
    return BigInt(units) * this.#toAmount;
  }

  /** An amount-unit price back in book units, or NaN when it is off the tick grid or out of range. */
  unitsOf(amount: bigint): number {
    if (amount <= 0n || amount % this.#toAmount !== 0n) return Number.NaN;
    const units = Number(amount / this.#toAmount);
    return Number.isSafeInteger(units) && units % this.tickUnits === 0 ? units : Number.NaN;
  }

  /**
   * A market price in amount units on the tick grid in book units, rounded up (`ceil`) or down (`floor`)
   * to a whole tick when the venue quotes finer than our tick; NaN when it is not positive or too large.
   * A taker's price is always rounded away from the taker (a buy pays up, a sell receives less): the
   * paper fill is never better than the level it came from.
   */
  tickUnitsOf(amount: bigint, mode: 'floor' | 'ceil'): number {
    if (amount <= 0n) return Number.NaN;
    const step = this.#toAmount * BigInt(this.tickUnits);
    const r = amount % step;
    const onGrid = r === 0n ? amount : mode === 'floor' ? amount - r : amount - r + step;
    const units = Number(onGrid / this.#toAmount);
    return units > 0 && Number.isSafeInteger(units) ? units : Number.NaN;
  }

  /** A quantity from the market floored to whole lots: fills are always whole lots. */
  floorLot(q: bigint): bigint {
    return q - (q % this.lot);
  }

  /** A user's price (amount units, null when missing) in book units, or the reason it is refused. */
  priceUnits(amount: bigint | null): number | RejectReason {
    if (amount === null || amount <= 0n) return 'ORDER_INVALID_PRICE';
    if (amount % this.#toAmount !== 0n) return 'ORDER_INVALID_TICK';
    const units = Number(amount / this.#toAmount);
    if (!Number.isSafeInteger(units)) return 'ORDER_INVALID_PRICE';
    return units % this.tickUnits === 0 ? units : 'ORDER_INVALID_TICK';
  }

  /** A user's quantity (amount units): above zero and a whole number of lots. */
  isWholeLots(q: bigint): boolean {
    return q > 0n && q % this.lot === 0n;
  }

  /** qty x price >= minNotional, compared exactly (no rounding of the product). */
  meetsMinNotional(quantity: bigint, priceUnits: number): boolean {
    return quantity * this.toAmount(priceUnits) >= this.minNotional * pow10n(AMOUNT_SCALE);
  }
}
