/**
 * The slippage model for orders that take liquidity (market orders, marketable limits, triggered stops).
 * Without a live L2 book (depth.ts; always in backtests) we only see the top of the book (a `Quote`),
 * so depth beyond it is modelled from recent trade flow:
 *
 *   level 0   the quote's price with the quote's size (less what our own takers already took from
 *             this quote);
 *   level i   i = 1..levels: `spacing` worse per level, each `depthTrades` x the mean recent trade size
 *             deep (at least one lot). spacing = max(1 tick, volatility x top price x
 *             volatilityMultiplier), rounded up to whole ticks; volatility = the mean absolute relative
 *             price change between consecutive trades;
 *   the cap   whatever is left fills at top x (1 +/- maxSlippageBps), rounded to the tick inside the cap.
 *
 * Means are exponentially weighted over about `window` trades. They are statistical estimates held in
 * floating point; every price they produce is rounded to an integer number of ticks, and quantities to
 * whole lots, before any amount is computed, so amounts stay exact.
 */
export interface SlippageModel {
  levels: number;
  depthTrades: number;
  volatilityMultiplier: number;
  /** Integer basis points. */
  maxSlippageBps: number;
  window: number;
}

export const DEFAULT_SLIPPAGE: SlippageModel = {
  levels: 5,
  depthTrades: 2,
  volatilityMultiplier: 1,
  maxSlippageBps: 50,
  window: 50,
};

/** Recent trade flow of one symbol: mean size and volatility, updated per trade in O(1). */
export class TradeFlow {
  readonly #alpha: number;
  meanSize = 0;
  volatility = 0;
  trades = 0;
  #lastUnits = 0;

  constructor(window: number) {
    this.#alpha = 2 / (Math.max(1, window) + 1);
  }

  onTrade(priceUnits: number, size: number): void {
    if (!(size >= 0)) size = 0;
    if (this.trades === 0) {
      this.meanSize = size;
    } else {
      const a = this.#alpha;
      this.meanSize += a * (size - this.meanSize);
      const change = Math.abs(priceUnits - this.#lastUnits) / this.#lastUnits;
      this.volatility += a * (change - this.volatility);
    }
    this.#lastUnits = priceUnits;
    this.trades++;
  }
}
