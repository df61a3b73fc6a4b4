import {
  AMOUNT_SCALE,
  type Clock,
  divRound,
  formatScaled,
  formatUnits,
  type Instrument,
  type OrderSide,
  type OrderType,
  parseScaled,
  pow10n,
  type Quote,
  significantScaleOf,
  type TimeInForce,
  type Trade,
} from '@qt/shared';
import {
  type AccountBalance,
  type BookedFill,
  depositPosting,
  type FeeSchedule,
  FeeTable,
  fillBooking,
  type MarketHandle,
  type MarketPrices,
  type MatchingEvent,
  AMOUNT_ONE as ONE,
  type OrderIntent,
  PaperBook,
  PaperMatchingEngine,
  type Posting,
  paperAccount,
  planOrder,
  type RiskContext,
  RiskEngine,
  type RiskLimits,
  type SlippageModel,
  unlockBooking,
} from '@qt/trading';

export { formatAmount } from '@qt/trading';

export interface PaperSessionOptions {
  clock: Clock;
  instruments: readonly Instrument[];
  quoteAsset: string;
  fees: FeeSchedule;
  feeTier: string;
  slippage: SlippageModel;
  latencyMs: number;
  limits: RiskLimits;
  /** Feed every quote at once instead of lazily (the reference the lazy path is tested against). */
  eagerQuotes?: boolean;
  /** Every matcher event, after it was booked (fills in the ledger and positions, releases unlocked). */
  onEvent: (event: MatchingEvent, booked: BookedFill | null) => void;
}

export interface SessionOrder {
  orderId: string;
  instrument: number;
  side: OrderSide;
  type: OrderType;
  quantity: string;
  price: string | null;
  stopPrice: string | null;
  timeInForce: TimeInForce;
  postOnly: boolean;
}

/** Refused before the matcher saw it: the risk engine's or the ledger's code. */
export type PlaceOutcome = { ok: true } | { ok: false; code: string; message: string };

const ACCOUNT = 'backtest';
const TENANT = 'backtest';
const NO_HALT = { tenant: null, account: null } as const;
const PLACED: PlaceOutcome = { ok: true };

/**
 * One paper account trading on the paper matcher, in memory and synchronous, on the same core as the
 * engine's live accounts (@qt/trading's account/): `planOrder` (risk, the quote budget of a market buy,
 * the lock and the ledger's checks) -> the lock applied -> matcher.placeOrder -> each matcher event
 * booked (`fillBooking`, `unlockBooking`) and applied to the same `PaperBook`. The engine does the same
 * steps with a database commit before each apply.
 *
 * Differences from the engine, all because nothing is persisted here: the lock is applied at once, before
 * the matcher call (the engine applies it after its database commit, and never applies it when the
 * matcher rejects at once; here such an order is locked and unlocked, which nets to nothing), and the
 * daily-loss base is the risk engine's own snapshot (the first equity it sees each UTC day) rather than
 * the ledger's balances at 00:00.
 *
 * Market data: trades always reach the matcher (its slippage model learns from them). Quotes reach it
 * lazily: while no order of ours is open on an instrument, a quote is only remembered, and fed right
 * before the next order on that instrument. The matcher's top of book after (quote, trade) equals the
 * one after (trade, quote) when the trade prints inside the quote, which holds for the backtester's
 * synthetic quotes; test/lazy-quotes.test.ts proves the results identical.
 */
export class PaperSession {
  /** The account core's state: ledger, positions and open orders, changed only by `#apply`. */
  readonly book = new PaperBook();
  readonly ledger = this.book.ledger;
  /** The account's two ledger buckets, read live by freeBalance and equity's plan after each posting. */
  readonly #freeKey = paperAccount(ACCOUNT, 'free');
  readonly #lockedKey = paperAccount(ACCOUNT, 'locked');
  readonly positions = this.book.positions;
  readonly accountId = ACCOUNT;
  readonly #clock: Clock;
  readonly #instruments: readonly Instrument[];
  readonly #bySymbol = new Map<string, number>();
  readonly #quoteAsset: string;
  readonly #matcher: PaperMatchingEngine;
  /** The matcher's book per instrument, for trades that cannot touch an order (onQuietTrade). */
  readonly #handles: MarketHandle[];
  readonly #risk: RiskEngine;
  readonly #limits: RiskLimits;
  readonly #takerRate: bigint[];
  readonly #feeTier: string;
  readonly #maxSlippageBps: number;
  readonly #onEvent: PaperSessionOptions['onEvent'];
  readonly #eager: boolean;
  /** What a market buy's reservation is sized from (planOrder), read from this session's market state. */
  readonly #prices: MarketPrices;
  /** Open orders per instrument: while > 0, quotes are fed at once. */
  readonly #openCount: number[];
  readonly #priceScale: number[];
  readonly #qPending: boolean[];
  readonly #qBid: number[];
  readonly #qAsk: number[];
  /** The quote's size: the text, or (when null) units at #qSizeScale decimals, formatted on flush. */
  readonly #qSize: (string | null)[];
  readonly #qSizeUnits: number[];
  readonly #qSizeScale: number[];
  readonly #qTime: number[];
  /** The last trade price: its book units when known (NaN otherwise), and its text when it came as one. */
  readonly #lastUnits: number[];
  readonly #lastTrade: (string | null)[];
  /** lastPrice's cache: the amount, and the units or the text it was computed from. */
  readonly #lastParsedUnits: number[];
  readonly #lastParsedText: (string | null)[];
  readonly #lastParsed: bigint[];
  /** 10^(18 - price decimals): book price units -> amount units. */
  readonly #unitsToAmount: bigint[];
  readonly #askText: (string | null)[];
  /** Signed base quantity per instrument, mirrored from the position book for cheap reads. */
  readonly positionQty: bigint[];
  readonly #positionNumber: number[];
  /** Postings applied so far, and per instrument the trades seen so far: what equity() caches on. */
  #postings = 0;
  readonly #markSeq: number[];
  #eqPostings = -1;
  readonly #eqUsed: number[] = [];
  readonly #eqSeq: number[] = [];
  #eqCount = 0;
  #eqValue: bigint | null = null;
  #planPostings = -1;
  #planQuote = 0n;
  #planUnpriced = false;
  readonly #planAmounts: bigint[] = [];
  readonly #planInstrument: number[] = [];
  readonly #planDirect: boolean[] = [];
  readonly #planPerUnit: bigint[] = [];
  /** balances()'s list after the last posting (the ledger builds a fresh sorted list per call). */
  #balances: AccountBalance[] = [];
  #balancesDirty = true;

  constructor(o: PaperSessionOptions) {
    this.#clock = o.clock;
    this.#instruments = o.instruments;
    this.#quoteAsset = o.quoteAsset;
    this.#limits = o.limits;
    this.#feeTier = o.feeTier;
    this.#maxSlippageBps = o.slippage.maxSlippageBps;
    this.#onEvent = o.onEvent;
    this.#eager = o.eagerQuotes ?? false;
    this.#matcher = new PaperMatchingEngine({
      clock: o.clock,
      onEvent: (e) => this.#book(e),
      fees: o.fees,
      slippage: o.slippage,
      latencyMs: o.latencyMs,
    });
    this.#risk = new RiskEngine(o.clock);
    const fees = new FeeTable(o.fees);
    const n = o.instruments.length;
    this.#takerRate = o.instruments.map((i) => fees.rates(i.venue, o.feeTier).taker);
    o.instruments.forEach((i, k) => {
      this.#matcher.setInstrument(i);
      this.#bySymbol.set(i.symbol, k);
    });
    this.#openCount = new Array<number>(n).fill(0);
    this.#priceScale = o.instruments.map((i) => significantScaleOf(i.tickSize));
    this.#qPending = new Array<boolean>(n).fill(false);
    this.#qBid = new Array<number>(n).fill(0);
    this.#qAsk = new Array<number>(n).fill(0);
    this.#qSize = new Array<string | null>(n).fill('0');
    this.#qSizeUnits = new Array<number>(n).fill(0);
    this.#qSizeScale = new Array<number>(n).fill(0);
    this.#qTime = new Array<number>(n).fill(0);
    this.#lastUnits = new Array<number>(n).fill(Number.NaN);
    this.#lastTrade = new Array<string | null>(n).fill(null);
    this.#lastParsedUnits = new Array<number>(n).fill(Number.NaN);
    this.#lastParsedText = new Array<string | null>(n).fill(null);
    this.#lastParsed = new Array<bigint>(n).fill(0n);
    this.#markSeq = new Array<number>(n).fill(0);
    this.#unitsToAmount = this.#priceScale.map((s) => pow10n(AMOUNT_SCALE - s));
    this.#handles = o.instruments.map((i) => this.#matcher.marketHandle(i.venue, i.symbol) as MarketHandle);
    this.#askText = new Array<string | null>(n).fill(null);
    this.positionQty = new Array<bigint>(n).fill(0n);
    this.#positionNumber = new Array<number>(n).fill(0);
    const instrumentOf = (symbol: string) => this.#bySymbol.get(symbol) ?? -1;
    this.#prices = {
      last: (_venue, symbol) => this.lastPrice(instrumentOf(symbol)),
      ask: (_venue, symbol) => {
        const text = this.#askText[instrumentOf(symbol)];
        return text ? parseScaled(text, AMOUNT_SCALE, 'up') : null;
      },
      takerTop: (venue, symbol) => this.#matcher.takerTop(venue, symbol, 'buy'),
    };
  }

  /** The signed position as a number, for strategies (converted once per fill, not per call). */
  positionNumber(instrument: number): number {
    return this.#positionNumber[instrument] ?? 0;
  }

  deposit(asset: string, amount: string, time: number): void {
    const units = parseScaled(amount, AMOUNT_SCALE);
    if (units === 0n) return;
    this.#apply(depositPosting({ id: `initial:${asset}`, accountId: ACCOUNT, asset, amount: units, time }));
  }

  // ---- market data ---------------------------------------------------------------------------------

  /**
   * A market trade. `priceUnits`, when the caller has them, are the price in units of the tick's
   * decimals (trade.price read on the grid), which spares parsing the text to mark positions.
   */
  onTrade(instrument: number, trade: Trade, priceUnits = Number.NaN): void {
    this.#lastTrade[instrument] = trade.price;
    this.#lastUnits[instrument] = priceUnits;
    this.#markSeq[instrument] = (this.#markSeq[instrument] as number) + 1;
    this.#matcher.onTrade(trade);
  }

  /**
   * A trade in book units that cannot touch an order of ours (see PaperMatchingEngine.onQuietTrade):
   * recorded without building or parsing a Trade. False, having done nothing, when it could: then call
   * onTrade with the trade itself. `size` is Number(quantity).
   */
  onQuietTrade(instrument: number, priceUnits: number, size: number): boolean {
    if (!this.#matcher.onQuietTrade(this.#handles[instrument] as MarketHandle, priceUnits, size))
      return false;
    this.#lastTrade[instrument] = null;
    this.#lastUnits[instrument] = priceUnits;
    this.#markSeq[instrument] = (this.#markSeq[instrument] as number) + 1;
    return true;
  }

  /**
   * A quote in book units of the instrument's tick decimals, the same size on both sides. Its strings are
   * only built when it reaches the matcher.
   */
  onQuoteUnits(instrument: number, bidUnits: number, askUnits: number, size: string, time: number): void {
    this.#qSize[instrument] = size;
    this.#quote(instrument, bidUnits, askUnits, time);
  }

  /**
   * onQuoteUnits with the size as units at `sizeScale` decimals (a safe integer): its text is only
   * built if the quote reaches the matcher.
   */
  onQuoteSizeUnits(
    instrument: number,
    bidUnits: number,
    askUnits: number,
    sizeUnits: number,
    sizeScale: number,
    time: number,
  ): void {
    this.#qSize[instrument] = null;
    this.#qSizeUnits[instrument] = sizeUnits;
    this.#qSizeScale[instrument] = sizeScale;
    this.#quote(instrument, bidUnits, askUnits, time);
  }

  #quote(instrument: number, bidUnits: number, askUnits: number, time: number): void {
    this.#qBid[instrument] = bidUnits;
    this.#qAsk[instrument] = askUnits;
    this.#qTime[instrument] = time;
    this.#qPending[instrument] = true;
    if (this.#eager || (this.#openCount[instrument] as number) > 0) this.#flushQuote(instrument);
  }

  /** Whether the instrument has an open order (resting, stop, or in flight): quotes must flow now. */
  hasOpenOrders(instrument: number): boolean {
    return (this.#openCount[instrument] as number) > 0;
  }

  #flushQuote(k: number): void {
    if (!this.#qPending[k]) return;
    this.#qPending[k] = false;
    const inst = this.#instruments[k] as Instrument;
    const scale = this.#priceScale[k] as number;
    const size = this.#qSize[k] ?? formatUnits(this.#qSizeUnits[k] as number, this.#qSizeScale[k] as number);
    const time = this.#qTime[k] as number;
    const quote: Quote = {
      venue: inst.venue,
      symbol: inst.symbol,
      bidPrice: formatUnits(this.#qBid[k] as number, scale),
      bidSize: size,
      askPrice: formatUnits(this.#qAsk[k] as number, scale),
      askSize: size,
      exchangeTime: time,
      receiveTime: time,
    };
    this.#askText[k] = quote.askPrice;
    this.#matcher.onQuote(quote);
  }

  /** Last trade price of an instrument in amount units (rounded down, as the engine marks), or null. */
  lastPrice(instrument: number): bigint | null {
    const units = this.#lastUnits[instrument] as number;
    if (!Number.isNaN(units)) {
      // On the grid, units x 10^(18 - decimals) is exactly what parsing the text gives.
      if (this.#lastParsedUnits[instrument] !== units) {
        this.#lastParsed[instrument] = BigInt(units) * (this.#unitsToAmount[instrument] as bigint);
        this.#lastParsedUnits[instrument] = units;
        this.#lastParsedText[instrument] = null;
      }
      return this.#lastParsed[instrument] as bigint;
    }
    const text = this.#lastTrade[instrument] ?? null;
    if (text === null) return null;
    if (this.#lastParsedText[instrument] !== text) {
      this.#lastParsed[instrument] = parseScaled(text, AMOUNT_SCALE, 'down');
      this.#lastParsedText[instrument] = text;
      this.#lastParsedUnits[instrument] = Number.NaN;
    }
    return this.#lastParsed[instrument] as bigint;
  }

  // ---- orders --------------------------------------------------------------------------------------

  /**
   * The order's text parsed once into an intent, then the core's plan (risk, budget, lock, ledger
   * checks), the lock applied, the matcher; the matcher's own refusals arrive as events.
   */
  place(o: SessionOrder): PlaceOutcome {
    const inst = this.#instruments[o.instrument] as Instrument;
    this.#flushQuote(o.instrument);
    let quantity: bigint;
    let price: bigint | null;
    let stopPrice: bigint | null;
    try {
      quantity = parseScaled(o.quantity, AMOUNT_SCALE);
      price = o.price === null ? null : parseScaled(o.price, AMOUNT_SCALE);
      stopPrice = o.stopPrice === null ? null : parseScaled(o.stopPrice, AMOUNT_SCALE);
    } catch {
      return {
        ok: false,
        code: 'ORDER_INVALID_INTENT',
        message: 'A quantity or price is not a usable decimal.',
      };
    }
    if (quantity <= 0n)
      return { ok: false, code: 'ORDER_INVALID_LOT', message: 'The quantity must be above zero.' };
    const intent: OrderIntent = {
      orderId: o.orderId,
      accountId: ACCOUNT,
      clientOrderId: null,
      venue: inst.venue,
      symbol: inst.symbol,
      side: o.side,
      type: o.type,
      timeInForce: o.timeInForce,
      postOnly: o.postOnly,
      quantity,
      price,
      stopPrice,
      feeTier: this.#feeTier,
    };
    const plan = planOrder(intent, {
      ledger: this.ledger,
      risk: this.#risk,
      riskContext: this.#riskContext(o.instrument),
      prices: this.#prices,
      takerFeeRate: this.#takerRate[o.instrument] as bigint,
      maxSlippageBps: this.#maxSlippageBps,
      time: this.#clock.now(),
    });
    if (!plan.ok) return { ok: false, code: plan.refusal.code, message: plan.refusal.message };
    this.#apply(plan.lock);
    this.#matcher.placeOrder(plan.request);
    return PLACED;
  }

  cancel(orderId: string): boolean {
    return this.#matcher.cancelOrder(ACCOUNT, orderId);
  }

  cancelAll(instrument: number): number {
    if (instrument < 0) return this.#matcher.cancelAll(ACCOUNT);
    const inst = this.#instruments[instrument];
    return inst ? this.#matcher.cancelAll(ACCOUNT, { venue: inst.venue, symbol: inst.symbol }) : 0;
  }

  /** Activates orders whose latency has passed when no market event does it. */
  advance(): void {
    this.#matcher.advance();
  }

  // ---- account views -------------------------------------------------------------------------------

  balances(): readonly AccountBalance[] {
    if (this.#balancesDirty) {
      this.#balances = this.ledger.balances(ACCOUNT);
      this.#balancesDirty = false;
    }
    return this.#balances;
  }

  freeBalance(asset: string): bigint {
    return this.ledger.accountBalances(this.#freeKey).get(asset) ?? 0n;
  }

  /**
   * Equity in the quote asset: every asset's free + locked marked to the last trade price, each value
   * rounded down (accountEquity's rule); null while an asset held has no price yet.
   */
  equity(): bigint | null {
    // Sampled once per bar: while no posting happened and no price it used moved (the usual case when
    // only the quote asset is held), the last value stands.
    if (this.#eqPostings === this.#postings) {
      const used = this.#eqUsed;
      let same = true;
      for (let j = 0; j < this.#eqCount; j++) {
        if (this.#markSeq[used[j] as number] !== this.#eqSeq[j]) {
          same = false;
          break;
        }
      }
      if (same) return this.#eqValue;
    }
    this.#eqPostings = this.#postings;
    this.#eqCount = 0;
    this.#eqValue = this.#computeEquity();
    return this.#eqValue;
  }

  #computeEquity(): bigint | null {
    if (this.#planPostings !== this.#postings) this.#plan();
    if (this.#planUnpriced) return null;
    let total = this.#planQuote;
    const amounts = this.#planAmounts;
    for (let j = 0; j < amounts.length; j++) {
      const amount = amounts[j] as bigint;
      const k = this.#planInstrument[j] as number;
      const per = this.#planPerUnit[j] as bigint;
      const units = this.#lastUnits[k] as number;
      if (per !== 0n && !Number.isNaN(units)) {
        // amount x (units x 10^(18 - d)) / 10^18 = (amount / 10^d) x units, exactly when 10^d divides
        // amount: one multiplication instead of two and a division, per bar while a position is held.
        this.#dependOn(k);
        total += per * BigInt(units);
        continue;
      }
      const p = this.#markOf(k);
      if (this.#planDirect[j]) {
        if (p === null) return null;
        const value = amount * p;
        total += value >= 0n ? value / ONE : divRound(value, ONE, 'floor');
      } else {
        if (p === null || p === 0n) return null;
        total += divRound(amount * ONE, p, 'floor');
      }
    }
    return total;
  }

  /**
   * What equity() sums, from the balances after the last posting: the quote asset as it is, and each
   * other asset held through the instrument that prices it (BASE-QUOTE, else QUOTE-BASE inverted).
   */
  #plan(): void {
    this.#planPostings = this.#postings;
    this.#planQuote = 0n;
    this.#planUnpriced = false;
    this.#planAmounts.length = 0;
    this.#planInstrument.length = 0;
    this.#planDirect.length = 0;
    this.#planPerUnit.length = 0;
    // The ledger's live buckets, not balances(): that builds and sorts a fresh list, and this runs
    // after every posting. The order of assets does not matter: the plan is summed exactly (bigint).
    const free = this.ledger.accountBalances(this.#freeKey);
    const locked = this.ledger.accountBalances(this.#lockedKey);
    for (const [asset, amount] of free) {
      if (!this.#planAsset(asset, amount + (locked.get(asset) ?? 0n))) return;
    }
    for (const [asset, amount] of locked) {
      if (!free.has(asset) && !this.#planAsset(asset, amount)) return;
    }
  }

  /** One asset's line of the plan; false when nothing prices it (equity is then unknown). */
  #planAsset(asset: string, amount: bigint): boolean {
    if (amount === 0n) return true;
    if (asset === this.#quoteAsset) {
      this.#planQuote += amount;
      return true;
    }
    const direct = this.#bySymbol.get(`${asset}-${this.#quoteAsset}`);
    const k = direct ?? this.#bySymbol.get(`${this.#quoteAsset}-${asset}`);
    if (k === undefined) {
      this.#planUnpriced = true;
      return false;
    }
    this.#planAmounts.push(amount);
    this.#planInstrument.push(k);
    this.#planDirect.push(direct !== undefined);
    // amount / 10^d when exact and the value is not negative (else 0n: the general path).
    const d = pow10n(this.#priceScale[k] as number);
    this.#planPerUnit.push(direct !== undefined && amount > 0n && amount % d === 0n ? amount / d : 0n);
    return true;
  }

  /** lastPrice, noting that equity() depends on it. */
  #markOf(instrument: number): bigint | null {
    this.#dependOn(instrument);
    return this.lastPrice(instrument);
  }

  #dependOn(instrument: number): void {
    // Slots reused by count: resetting an array's length is a runtime call, and this runs per bar.
    this.#eqUsed[this.#eqCount] = instrument;
    this.#eqSeq[this.#eqCount++] = this.#markSeq[instrument] as number;
  }

  #marks(): Map<string, bigint> {
    const marks = new Map<string, bigint>();
    this.#instruments.forEach((inst, k) => {
      const p = this.lastPrice(k);
      if (p !== null) marks.set(inst.symbol, p);
    });
    return marks;
  }

  #riskContext(instrument: number): RiskContext {
    const inst = this.#instruments[instrument] as Instrument;
    return {
      tenantId: TENANT,
      accountId: ACCOUNT,
      limits: this.#limits,
      killSwitch: NO_HALT,
      lastPrice: this.lastPrice(instrument),
      position: this.positionQty[instrument] as bigint,
      ...this.book.exposure(ACCOUNT, inst.venue, inst.symbol),
      // Only priced assets count, as in the engine's DayBook: a missing price is no loss.
      equity: this.equity() ?? this.#pricedEquity(),
      netTransfersToday: 0n,
    };
  }

  #pricedEquity(): bigint {
    const marks = this.#marks();
    let total = 0n;
    for (const b of this.balances()) {
      const amount = b.free + b.locked;
      if (b.asset === this.#quoteAsset) total += amount;
      else {
        const p = marks.get(`${b.asset}-${this.#quoteAsset}`);
        if (p !== undefined) total += divRound(amount * p, ONE, 'floor');
      }
    }
    return total;
  }

  // ---- booking -------------------------------------------------------------------------------------

  #book(e: MatchingEvent): void {
    let booked: BookedFill | null = null;
    switch (e.type) {
      case 'orderFilled': {
        const posting = fillBooking(this.ledger, e.fill);
        if (posting === 'unknownOrder') {
          throw new Error(`fill ${e.fill.id} for an order the ledger does not hold`);
        }
        if (posting === 'duplicate') break;
        this.#apply(posting);
        booked = posting.fill;
        break;
      }
      case 'orderCanceled':
      case 'orderExpired':
      case 'orderRejected': {
        const unlock = unlockBooking(this.ledger, e.order.id, e.order.updatedAt);
        if (unlock !== null) this.#apply(unlock);
        break;
      }
      default:
        break;
    }
    this.#onEvent(e, booked);
  }

  /** A posting into the book (ledger, positions, open orders), and this session's caches of them. */
  #apply(p: Posting): void {
    const r = p.order;
    const had = r !== null && this.book.isOpen(ACCOUNT, r.orderId);
    const position = this.book.apply(p);
    this.#balancesDirty = true;
    this.#postings++;
    if (position !== null) {
      const k = this.#bySymbol.get(position.symbol);
      if (k !== undefined) {
        this.positionQty[k] = position.quantity;
        this.#positionNumber[k] = Number(formatScaled(position.quantity, AMOUNT_SCALE));
      }
    }
    if (r === null) return;
    const k = this.#bySymbol.get(r.symbol) as number;
    if (r.status === 'open') {
      if (!had) this.#openCount[k] = (this.#openCount[k] as number) + 1;
    } else if (had) this.#openCount[k] = (this.#openCount[k] as number) - 1;
  }
}
