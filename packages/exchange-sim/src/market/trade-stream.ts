import type { InstrumentSpec } from '../instruments.ts';
import type { Venue } from '../types.ts';
import type { PriceProcess } from './price-process.ts';
import { Rng } from './rng.ts';
import { TradeBatch } from './trade-batch.ts';

/** Hawkes excitation: each taker order raises the order intensity, decaying over ~200 ms. */
const hawkesDecayPerMs = 1 / 200;
/** Branching ratio: 60% of orders are "triggered" by earlier ones, hence bursts. */
const hawkesBranching = 0.6;
/** Fills per taker order are geometric: P(another fill) = 0.5, so two on average. */
const fillContinue = 0.5;
const maxFills = 16;
const meanFills = (1 - fillContinue ** maxFills) / (1 - fillContinue);
/** Chance that the next fill of an order takes the next price level. */
const walkProbability = 0.2;
/** Median trade notional in quote currency, and the spread of log sizes. */
const medianNotional = 200;
const sizeSigma = 1.3;
/** How strongly the taker side follows the last price move (logistic slope per typical move). */
const sideBias = 0.8;

const firstTradeId: Record<Venue, number> = {
  binance: 3_100_000_000,
  okx: 520_000_000,
  bybit: 2_290_000_000_000,
};

/**
 * Trades of one symbol on one venue: taker orders arrive as a Hawkes process (exact simulation after
 * Dassios & Zhao, two uniforms per order), each filling one or more times against a book a few ticks wide
 * around the shared fair price. Everything is drawn from the stream's own generator in event order, so
 * the sequence is a function of the seed alone.
 */
export class TradeStream {
  readonly venue: Venue;
  readonly spec: InstrumentSpec;
  readonly batch = new TradeBatch();
  readonly #rng: Rng;
  readonly #tickScale: number;
  readonly #logMedianLots: number;
  readonly #maxLots: number;
  /** Base order intensity (orders per ms of market time) before activity scaling. */
  #baseIntensity = 0;
  #excess = 0;
  #nextAt = Number.POSITIVE_INFINITY;
  #orderSeq = 0;
  nextTradeId: number;
  /** Set by the skip fault: added to the next trade id. */
  pendingSkip = 0;
  /** Set by the duplicate fault: encoders send this many of the next trades twice. */
  duplicateRemaining = 0;
  generated = 0;
  /** Best bid/ask in ticks and lots; `bboVersion` moves on every change. */
  bidTicks = 0;
  askTicks = 0;
  bidLots = 0;
  askLots = 0;
  bboVersion = 0;

  constructor(venue: Venue, spec: InstrumentSpec, seed: number, salt: number, tradesPerSecond: number) {
    this.venue = venue;
    this.spec = spec;
    this.#rng = new Rng(seed, salt);
    this.#tickScale = 10 ** spec.priceDecimals;
    const medianLots = Math.max(1, medianNotional / spec.initialPrice / 10 ** -spec.lotDecimals);
    this.#logMedianLots = Math.log(medianLots);
    this.#maxLots = Math.ceil(medianLots * 200);
    this.nextTradeId = firstTradeId[venue] + Math.floor(this.#rng.next() * 1_000_000);
    this.#quote(spec.initialPrice);
    this.setRate(tradesPerSecond, 0);
  }

  /** Change the trade rate; the next arrival is redrawn from market time `now`. */
  setRate(tradesPerSecond: number, now: number): void {
    const base = ((tradesPerSecond / 1000) * (1 - hawkesBranching)) / meanFills;
    // Scale the pending excitation too, so a new rate (zero above all) takes effect at once.
    this.#excess = this.#baseIntensity > 0 ? (this.#excess * base) / this.#baseIntensity : 0;
    this.#baseIntensity = base;
    this.#nextAt = now + this.#drawWait(1);
  }

  /** Emit into `batch` every taker order with market time < `limit`, at the fair price `price`. */
  generateUntil(limit: number, price: PriceProcess): void {
    while (this.#nextAt < limit) {
      const at = this.#nextAt;
      this.#takerOrder(price);
      this.#excess += hawkesBranching * hawkesDecayPerMs;
      const wait = this.#drawWait(price.activity);
      this.#nextAt = at + wait;
    }
  }

  #drawWait(activity: number): number {
    const rng = this.#rng;
    const mu = this.#baseIntensity * activity;
    let wait = mu > 0 ? -Math.log(rng.nextOpen()) / mu : Number.POSITIVE_INFINITY;
    if (this.#excess > 0) {
      const d = 1 + (hawkesDecayPerMs * Math.log(rng.nextOpen())) / this.#excess;
      if (d > 0) {
        const s = -Math.log(d) / hawkesDecayPerMs;
        if (s < wait) wait = s;
      }
    } else {
      rng.next();
    }
    if (wait !== Number.POSITIVE_INFINITY) this.#excess *= Math.exp(-hawkesDecayPerMs * wait);
    return wait;
  }

  #quote(fair: number): void {
    const rng = this.#rng;
    const u = rng.next();
    const spread = 1 + Math.floor(u * u * 3);
    let bid = Math.round(fair * this.#tickScale - spread / 2);
    if (bid < 1) bid = 1;
    const ask = bid + spread;
    const bidLots = this.#size(1.1);
    const askLots = this.#size(1.1);
    if (
      bid !== this.bidTicks ||
      ask !== this.askTicks ||
      bidLots !== this.bidLots ||
      askLots !== this.askLots
    ) {
      this.bidTicks = bid;
      this.askTicks = ask;
      this.bidLots = bidLots;
      this.askLots = askLots;
      this.bboVersion += 1;
    }
  }

  #size(shift: number): number {
    const lots = Math.round(Math.exp(this.#logMedianLots + shift + sizeSigma * this.#rng.normal()));
    return Math.min(this.#maxLots, Math.max(1, lots));
  }

  #takerOrder(price: PriceProcess): void {
    const rng = this.#rng;
    this.#quote(price.price);
    const pBuy = 1 / (1 + Math.exp(-sideBias * price.lastMove));
    const buy = rng.next() < pBuy ? 1 : 0;
    let fills = 1;
    while (fills < maxFills && rng.next() < fillContinue) fills += 1;
    const order = this.#orderSeq;
    this.#orderSeq += 1;
    let level = 0;
    for (let i = 0; i < fills; i += 1) {
      if (i > 0 && rng.next() < walkProbability) level += 1;
      let px = buy === 1 ? this.askTicks + level : this.bidTicks - level;
      if (px < 1) px = 1;
      const id = this.nextTradeId + this.pendingSkip;
      this.pendingSkip = 0;
      this.nextTradeId = id + 1;
      this.batch.push(px, this.#size(0), buy, order, id);
    }
    this.generated += fills;
  }
}
