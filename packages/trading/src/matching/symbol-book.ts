import { AMOUNT_SCALE, parseScaled, type Quote, tryParseUnits } from '@qt/shared';
import { BookSide } from './book-side.ts';
import { DepthConsumption, type DepthSource } from './depth.ts';
import type { InstrumentRules } from './instrument-rules.ts';
import { type SlippageModel, TradeFlow } from './slippage.ts';

/**
 * Everything the matcher knows about one (venue, symbol): our resting orders and stops, the market's top
 * of book and its recent trade flow. Prices are book units (see InstrumentRules).
 */
export class SymbolBook {
  rules: InstrumentRules;
  readonly bids = new BookSide(1);
  readonly asks = new BookSide(-1);
  /** Buy stops trigger lowest first, sell stops highest first. */
  readonly buyStops = new BookSide(-1);
  readonly sellStops = new BookSide(1);
  readonly flow: TradeFlow;
  /** Best bid and ask, NaN while unknown. */
  bidUnits = Number.NaN;
  askUnits = Number.NaN;
  /** The quote's size text (parsed only when an order needs it); null when a trade set the top. */
  bidSizeText: string | null = null;
  askSizeText: string | null = null;
  /** What our takers already took from the current top, so two orders cannot both take all of it. */
  bidTaken = 0n;
  askTaken = 0n;
  /**
   * Last trade price, as the floor and ceiling in book units: equal when the price is on the tick grid,
   * one unit apart when the venue printed finer than our tick (then it equals no price of ours).
   */
  lastLo = Number.NaN;
  lastHi = Number.NaN;
  /** The live L2 book takers walk when there is one (depth.ts); null: modelled depth only. */
  depth: DepthSource | null = null;
  /** What our takers took from the live book's levels since its last change. */
  readonly depthTaken = new DepthConsumption();
  /** Replaced by setInstrument (new tick decimals): a MarketHandle to it is stale. */
  retired = false;
  #depthTrades: number;

  constructor(rules: InstrumentRules, slippage: SlippageModel) {
    this.rules = rules;
    this.flow = new TradeFlow(slippage.window);
    this.#depthTrades = slippage.depthTrades;
  }

  get restingCount(): number {
    return this.bids.orderCount + this.asks.orderCount + this.buyStops.orderCount + this.sellStops.orderCount;
  }

  onQuote(q: Quote): void {
    const scale = this.rules.priceScale;
    const bid = parseBookPrice(q.bidPrice, scale, 'floor');
    const ask = parseBookPrice(q.askPrice, scale, 'ceil');
    if (bid > 0) {
      this.bidUnits = bid;
      this.bidSizeText = q.bidSize;
      this.bidTaken = 0n;
    }
    if (ask > 0) {
      this.askUnits = ask;
      this.askSizeText = q.askSize;
      this.askTaken = 0n;
    }
  }

  /**
   * Records a trade price. A trade through the quote means the quote is stale: that side's top moves to
   * the trade price with modelled depth (the next quote replaces it).
   */
  onTradePrice(lo: number, hi: number, size: number): void {
    this.flow.onTrade(lo, size);
    this.lastLo = lo;
    this.lastHi = hi;
    if (!(this.askUnits >= hi)) {
      this.askUnits = hi;
      this.askSizeText = null;
      this.askTaken = 0n;
    }
    if (!(this.bidUnits <= lo)) {
      this.bidUnits = lo;
      this.bidSizeText = null;
      this.bidTaken = 0n;
    }
  }

  /** One modelled level's depth: `depthTrades` mean trade sizes, in whole lots, at least one lot. */
  modelledDepth(): bigint {
    const lots = Math.floor((this.flow.meanSize * this.#depthTrades) / this.rules.lotAsNumber);
    return BigInt(Math.max(1, Number.isFinite(lots) ? lots : 1)) * this.rules.lot;
  }

  /** Size shown at the top of one side (whole lots), before what our takers took. */
  topSize(buy: boolean): bigint {
    const text = buy ? this.askSizeText : this.bidSizeText;
    if (text === null) return this.modelledDepth();
    return this.rules.floorLot(parseScaled(text, AMOUNT_SCALE, 'down'));
  }

  /** What a taker on `buy` side can still take at the top. */
  topAvailable(buy: boolean): bigint {
    const left = this.topSize(buy) - (buy ? this.askTaken : this.bidTaken);
    return left > 0n ? left : 0n;
  }

  /** The size the market shows at our price on our own side, for the queue model (0 when unknown). */
  sizeAt(buy: boolean, units: number): bigint {
    const top = buy ? this.bidUnits : this.askUnits;
    const text = buy ? this.bidSizeText : this.askSizeText;
    if (!(top > 0) || text === null) return 0n;
    // Improving on the best: nobody ahead. At or behind it: the best's size is the estimate (we only see
    // the top; deeper levels are at least that likely to hold as much).
    if (buy ? units > top : units < top) return 0n;
    return parseScaled(text, AMOUNT_SCALE, 'down');
  }
}

/** A market price in book units; off the grid it rounds with `mode`; NaN when it cannot be read. */
export function parseBookPrice(s: string, scale: number, mode: 'floor' | 'ceil'): number {
  const units = tryParseUnits(s, scale);
  if (!Number.isNaN(units)) return units;
  try {
    const n = Number(parseScaled(s, scale, mode));
    return Number.isSafeInteger(n) ? n : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
