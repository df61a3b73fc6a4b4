import {
  AMOUNT_SCALE,
  type Clock,
  divRound,
  type Instrument,
  type Liquidity,
  parseScaled,
  type Quote,
  type Trade,
  tryParseUnits,
} from '@qt/shared';
import { AMOUNT_ONE } from '../amounts.ts';
import type { BookSide } from './book-side.ts';
import type { DepthSide, DepthSource, DepthView } from './depth.ts';
import { type FeeSchedule, FeeTable } from './fees.ts';
import { InstrumentRules } from './instrument-rules.ts';
import { BookOrder } from './order.ts';
import { DEFAULT_SLIPPAGE, type SlippageModel } from './slippage.ts';
import { parseBookPrice, SymbolBook } from './symbol-book.ts';
import type {
  ExpireReason,
  FillPricing,
  MatchingEvent,
  MatchOrderRequest,
  OrderSnapshot,
  RejectReason,
  RestoreOrderInput,
} from './types.ts';

export interface MatchingEngineOptions {
  clock: Clock;
  /** Receives every event, in order, after the call that caused it has finished its work. */
  onEvent: (event: MatchingEvent) => void;
  fees?: FeeSchedule;
  slippage?: Partial<SlippageModel>;
  /** An order reaches the simulated venue `latencyMs` after it was placed (default 0). */
  latencyMs?: number;
}

/**
 * One instrument's book, for `onQuietTrade` (opaque: only the engine reads it). Valid until
 * `setInstrument` changes that instrument's tick decimals; a stale handle is refused, never misused.
 */
export interface MarketHandle {
  readonly [handleBrand]: true;
}
declare const handleBrand: unique symbol;

export interface MatchOrderFilter {
  venue?: string;
  symbol?: string;
}

/**
 * The paper matcher: our orders against the live (or replayed) market, not against each other. Pure and
 * deterministic: time comes only from the injected clock, and the same calls in the same order produce
 * the same events. Models (slippage, queue, fees, latency) are described in README.md beside this file.
 *
 * Feed it market data (`onTrade`, `onQuote`) and commands (`placeOrder`, `cancelOrder`, `cancelAll`);
 * `advance()` activates orders whose latency has passed when no market event arrives to do it.
 */
export class PaperMatchingEngine {
  readonly #clock: Clock;
  readonly #onEvent: (event: MatchingEvent) => void;
  readonly #fees: FeeTable;
  readonly #slippage: SlippageModel;
  readonly #latencyMs: number;
  readonly #books = new Map<string, Map<string, SymbolBook>>();
  /** Depth sources by `venue|symbol`, kept apart from the books so a replaced book keeps its source. */
  readonly #depth = new Map<string, DepthSource>();
  readonly #open = new Map<string, BookOrder>();
  readonly #byAccount = new Map<string, Set<BookOrder>>();
  /** Orders waiting for their latency, in activation order (the latency is one constant). */
  #pending: BookOrder[] = [];
  #pendingHead = 0;
  readonly #out: MatchingEvent[] = [];
  #delivering = false;

  constructor(options: MatchingEngineOptions) {
    this.#clock = options.clock;
    this.#onEvent = options.onEvent;
    this.#fees = new FeeTable(options.fees);
    this.#slippage = { ...DEFAULT_SLIPPAGE, ...options.slippage };
    if (!Number.isInteger(this.#slippage.maxSlippageBps) || this.#slippage.maxSlippageBps < 0) {
      throw new RangeError('maxSlippageBps must be a whole number >= 0');
    }
    if (this.#slippage.maxSlippageBps >= 10_000) throw new RangeError('maxSlippageBps must be < 10000');
    this.#latencyMs = Math.max(0, options.latencyMs ?? 0);
  }

  /**
   * Registers (or updates) an instrument's tick, lot and min notional. Market data for instruments not
   * registered is ignored, and orders on them are rejected.
   */
  setInstrument(instrument: Instrument): void {
    const rules = new InstrumentRules(instrument);
    let byVenue = this.#books.get(instrument.venue);
    if (!byVenue) {
      byVenue = new Map();
      this.#books.set(instrument.venue, byVenue);
    }
    const book = byVenue.get(instrument.symbol);
    if (book && book.rules.priceScale === rules.priceScale) {
      book.rules = rules;
      return;
    }
    if (book && book.restingCount > 0) {
      throw new RangeError(
        `${instrument.venue} ${instrument.symbol}: the tick's decimals changed while orders rest; cancel them first`,
      );
    }
    if (book) book.retired = true;
    const fresh = new SymbolBook(rules, this.#slippage);
    fresh.depth = this.#depth.get(`${instrument.venue}|${instrument.symbol}`) ?? null;
    byVenue.set(instrument.symbol, fresh);
  }

  /**
   * Gives takers on one instrument a live L2 book to walk (depth.ts); null removes it. While the source
   * returns a view, market orders, marketable limits and triggered stops fill against its levels; while
   * it returns null (or has no level on the side taken), the modelled depth of slippage.ts applies.
   */
  setDepthSource(venue: string, symbol: string, source: DepthSource | null): void {
    const key = `${venue}|${symbol}`;
    if (source === null) this.#depth.delete(key);
    else this.#depth.set(key, source);
    const book = this.#book(venue, symbol);
    if (book) book.depth = source;
  }

  placeOrder(req: MatchOrderRequest): OrderSnapshot {
    const now = this.#clock.now();
    this.#activateDue(now);
    const order = new BookOrder(bookOrderInit(req), now);
    const book = this.#book(req.venue, req.symbol);
    const refused = this.#admit(order, req, book);
    if (refused !== null || !book) {
      this.#reject(order, refused ?? 'MARKET_UNKNOWN_INSTRUMENT', now, false);
    } else {
      order.activeAt = now + this.#latencyMs;
      this.#register(order);
      if (order.activeAt <= now) this.#activate(order, book, now);
      else {
        order.place = 'pending';
        this.#pending.push(order);
      }
    }
    this.#flush();
    return order.snapshot();
  }

  /**
   * Puts a persisted open order back after a restart, without matching it or emitting anything (call
   * after `setInstrument`, before market data flows). Only what can rest comes back: GTC limit and
   * stop-limit orders and untriggered stop-markets. Its queue position restarts behind the quoted size
   * at its price (nothing, before the first quote). False when it cannot rest: the caller ends it.
   */
  restoreOrder(input: RestoreOrderInput): boolean {
    const book = this.#book(input.venue, input.symbol);
    if (!book || this.#open.has(input.orderId) || input.timeInForce !== 'GTC') return false;
    if (input.filledQuantity < 0n || input.filledQuantity >= input.quantity) return false;
    const order = new BookOrder(
      {
        id: input.orderId,
        accountId: input.accountId,
        clientOrderId: input.clientOrderId,
        venue: input.venue,
        symbol: input.symbol,
        side: input.side,
        type: input.type,
        timeInForce: input.timeInForce,
        postOnly: input.postOnly && input.type === 'limit',
        feeTier: input.feeTier ?? 'default',
      },
      input.createdAt,
    );
    order.quantity = input.quantity;
    order.filledQuantity = input.filledQuantity;
    order.filledQuote = input.filledQuote;
    order.fees = input.fees;
    order.notionalExact = input.notionalExact;
    order.feeExact = input.feeExact;
    order.fillCount = input.fillCount;
    order.updatedAt = input.updatedAt;
    order.status = input.filledQuantity > 0n ? 'partially_filled' : 'new';
    const rules = book.rules;
    const limited = order.type === 'limit' || order.type === 'stop_limit';
    const stop = order.type === 'stop_market' || order.type === 'stop_limit';
    if (limited) {
      order.limitUnits = input.price === null ? Number.NaN : rules.unitsOf(input.price);
      if (Number.isNaN(order.limitUnits)) return false;
      order.price = input.price;
    }
    if (stop) {
      order.stopUnits = input.stopPrice === null ? Number.NaN : rules.unitsOf(input.stopPrice);
      if (Number.isNaN(order.stopUnits)) return false;
      order.stopPrice = input.stopPrice;
    }
    order.triggered = stop && (input.triggered ?? input.filledQuantity > 0n);
    if (order.type === 'market' || (order.type === 'stop_market' && order.triggered)) return false;
    this.#register(order);
    if (stop && !order.triggered) {
      order.place = 'stop';
      (order.side === 'buy' ? book.buyStops : book.sellStops).add(order, order.stopUnits);
    } else this.#rest(order, book);
    return true;
  }

  /** Cancels one open order of `accountId`; false when there is none (or it belongs to another account). */
  cancelOrder(accountId: string, orderId: string): boolean {
    const now = this.#clock.now();
    this.#activateDue(now);
    const order = this.#open.get(orderId);
    const found = order !== undefined && order.accountId === accountId;
    if (found) this.#cancel(order, now);
    this.#flush();
    return found;
  }

  /** Cancels every open order of `accountId` (optionally of one venue and/or symbol); returns how many. */
  cancelAll(accountId: string, filter: MatchOrderFilter = {}): number {
    const now = this.#clock.now();
    this.#activateDue(now);
    let n = 0;
    for (const order of [...(this.#byAccount.get(accountId) ?? [])]) {
      if (!matches(order, filter)) continue;
      this.#cancel(order, now);
      n++;
    }
    this.#flush();
    return n;
  }

  onTrade(trade: Trade): void {
    const now = this.#clock.now();
    this.#activateDue(now);
    const book = this.#book(trade.venue, trade.symbol);
    if (book) this.#onTrade(book, trade, now);
    this.#flush();
  }

  /** The handle of an instrument's book for `onQuietTrade`; undefined when it is not registered. */
  marketHandle(venue: string, symbol: string): MarketHandle | undefined {
    return this.#book(venue, symbol) as MarketHandle | undefined;
  }

  /**
   * `onTrade` for a trade already in book units, when it cannot touch an order: nothing of ours rests or
   * waits on a stop on that book, no order is in flight (latency) anywhere, and no event is waiting for
   * delivery. Then a trade only moves the market state (last price, a stale top of book, the slippage
   * model's trade flow), which this does in O(1) without parsing or allocating: the backtester calls it
   * four times per candle. Returns false, having done nothing, when those conditions do not hold (or the
   * handle is stale): call `onTrade` then. `priceUnits` is the price in units of the tick's decimals as
   * `tryParseUnits` reads it (on the grid), `size` the quantity as `Number(trade.quantity)` reads it;
   * with those, the effect is exactly `onTrade`'s.
   */
  onQuietTrade(handle: MarketHandle, priceUnits: number, size: number): boolean {
    const book = handle as unknown as SymbolBook;
    if (
      book.retired ||
      this.#pendingHead !== this.#pending.length ||
      this.#out.length !== 0 ||
      book.restingCount !== 0
    ) {
      return false;
    }
    book.onTradePrice(priceUnits, priceUnits, size);
    return true;
  }

  onQuote(quote: Quote): void {
    const now = this.#clock.now();
    this.#activateDue(now);
    this.#book(quote.venue, quote.symbol)?.onQuote(quote);
    this.#flush();
  }

  /** Activates the orders whose latency has passed by now (market events and commands do it too). */
  advance(): void {
    this.#activateDue(this.#clock.now());
    this.#flush();
  }

  getOrder(accountId: string, orderId: string): OrderSnapshot | undefined {
    const order = this.#open.get(orderId);
    return order && order.accountId === accountId ? order.snapshot() : undefined;
  }

  openOrders(accountId: string, filter: MatchOrderFilter = {}): OrderSnapshot[] {
    const out: OrderSnapshot[] = [];
    for (const order of this.#byAccount.get(accountId) ?? []) {
      if (matches(order, filter)) out.push(order.snapshot());
    }
    return out;
  }

  /**
   * The price a taker on `side` starts from now, in amount units: the top the walk and its cap are computed
   * from (the quote's, rounded to the tick away from the taker, or a trade printed through it); null while
   * unknown. The order path sizes a market buy's reservation from it, so the reservation covers the cap.
   */
  takerTop(venue: string, symbol: string, side: 'buy' | 'sell'): bigint | null {
    const book = this.#book(venue, symbol);
    const top = book === undefined ? Number.NaN : side === 'buy' ? book.askUnits : book.bidUnits;
    return book !== undefined && top > 0 ? book.rules.toAmount(top) : null;
  }

  /** Whether orders on this instrument can be matched (registered with `setInstrument`). */
  hasInstrument(venue: string, symbol: string): boolean {
    return this.#book(venue, symbol) !== undefined;
  }

  /**
   * Takes an account's resting orders and waiting stops off the book without an event, and returns what
   * `restoreOrder` needs to put each back: while they are off, no market event can fill them. The
   * persistence layer uses this when it cannot store the account's events for a while and its buffer
   * is full. Orders still in flight (latency) stay: they arrive, and their events come, as usual.
   * Putting an order back restarts its queue position, as after a restart.
   */
  detachAccount(accountId: string): RestoreOrderInput[] {
    const out: RestoreOrderInput[] = [];
    for (const order of [...(this.#byAccount.get(accountId) ?? [])]) {
      if (order.place !== 'resting' && order.place !== 'stop') continue;
      const book = this.#book(order.venue, order.symbol);
      if (!book) continue;
      out.push({
        orderId: order.id,
        accountId: order.accountId,
        clientOrderId: order.clientOrderId,
        venue: order.venue,
        symbol: order.symbol,
        side: order.side,
        type: order.type,
        timeInForce: order.timeInForce,
        postOnly: order.postOnly,
        feeTier: order.feeTier,
        quantity: order.quantity,
        price: order.price,
        stopPrice: order.stopPrice,
        filledQuantity: order.filledQuantity,
        filledQuote: order.filledQuote,
        fees: order.fees,
        notionalExact: order.notionalExact,
        feeExact: order.feeExact,
        fillCount: order.fillCount,
        triggered: order.triggered,
        createdAt: order.createdAt,
        updatedAt: order.updatedAt,
      });
      this.#close(order, book);
    }
    return out;
  }

  /** Resting limit orders and untriggered stops of one symbol (for monitoring and benchmarks). */
  restingCount(venue: string, symbol: string): number {
    return this.#book(venue, symbol)?.restingCount ?? 0;
  }

  #book(venue: string, symbol: string): SymbolBook | undefined {
    return this.#books.get(venue)?.get(symbol);
  }

  /**
   * What `placeOrder` would reject at once (instrument, lot, tick, min notional, and a post-only limit
   * that would take at the current top), without placing anything; null when it would be admitted.
   * The amend path asks this before it cancels the order it replaces.
   */
  admissionRefusal(req: MatchOrderRequest): RejectReason | null {
    const book = this.#book(req.venue, req.symbol);
    const order = new BookOrder(bookOrderInit(req), this.#clock.now());
    const refused = this.#admit(order, req, book);
    if (refused !== null || !book) return refused ?? 'MARKET_UNKNOWN_INSTRUMENT';
    if (order.postOnly && this.#wouldTake(order, book)) {
      return 'POST_ONLY_WOULD_TAKE';
    }
    return null;
  }

  /** Validates an order (already in units) against its instrument; null when it is acceptable. */
  #admit(order: BookOrder, req: MatchOrderRequest, book: SymbolBook | undefined): RejectReason | null {
    if (!book) return 'MARKET_UNKNOWN_INSTRUMENT';
    const rules = book.rules;
    if (rules.instrument.status !== 'trading') return 'MARKET_HALTED';
    if (this.#open.has(order.id)) return 'ORDER_DUPLICATE_ID';
    const quantity = req.quantity;
    if (!rules.isWholeLots(quantity)) return 'ORDER_INVALID_LOT';
    order.quantity = quantity;
    const limited = order.type === 'limit' || order.type === 'stop_limit';
    const stop = order.type === 'stop_market' || order.type === 'stop_limit';
    const price = req.price ?? null;
    const stopPrice = req.stopPrice ?? null;
    if (limited) {
      const p = rules.priceUnits(price);
      if (typeof p === 'string') return p;
      order.limitUnits = p;
      order.price = price;
    } else if (price !== null) return 'ORDER_INVALID_PRICE';
    if (stop) {
      const p = rules.priceUnits(stopPrice);
      if (typeof p === 'string') return p;
      order.stopUnits = p;
      order.stopPrice = stopPrice;
    } else if (stopPrice !== null) return 'ORDER_INVALID_PRICE';
    // The notional at the order's own price; a market order's at the current top when there is one.
    const reference = limited
      ? order.limitUnits
      : stop
        ? order.stopUnits
        : order.side === 'buy'
          ? book.askUnits
          : book.bidUnits;
    if (reference > 0 && !rules.meetsMinNotional(quantity, reference)) return 'ORDER_BELOW_MIN_NOTIONAL';
    return null;
  }

  #activateDue(now: number): void {
    const pending = this.#pending;
    while (this.#pendingHead < pending.length) {
      const order = pending[this.#pendingHead] as BookOrder;
      if (order.activeAt > now) break;
      this.#pendingHead++;
      if (order.place !== 'pending') continue; // canceled while in flight
      order.place = 'none';
      const book = this.#book(order.venue, order.symbol);
      if (book) this.#activate(order, book, now);
    }
    if (this.#pendingHead > 1024 && this.#pendingHead * 2 > pending.length) {
      this.#pending = pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  /** The order reaches the venue: final checks that need the market, then accept and match. */
  #activate(order: BookOrder, book: SymbolBook, now: number): void {
    const buy = order.side === 'buy';
    if (order.type === 'market' && !((buy ? book.askUnits : book.bidUnits) > 0)) {
      this.#reject(order, 'MARKET_NO_DATA', now, true);
      return;
    }
    if (order.postOnly && this.#wouldTake(order, book)) {
      this.#reject(order, 'POST_ONLY_WOULD_TAKE', now, true);
      return;
    }
    this.#emit({ type: 'orderAccepted', time: now, order: order.snapshot() });
    if (order.type === 'stop_market' || order.type === 'stop_limit') {
      // Already through the stop: it triggers now rather than waiting for the next trade.
      if (buy ? book.lastLo >= order.stopUnits : book.lastHi <= order.stopUnits) {
        this.#trigger(order, book, now);
      } else {
        order.place = 'stop';
        (buy ? book.buyStops : book.sellStops).add(order, order.stopUnits);
      }
      return;
    }
    this.#execute(order, book, now);
  }

  #wouldTake(order: BookOrder, book: SymbolBook): boolean {
    return order.side === 'buy' ? order.limitUnits >= book.askUnits : order.limitUnits <= book.bidUnits;
  }

  #trigger(order: BookOrder, book: SymbolBook, now: number): void {
    order.triggered = true;
    order.updatedAt = now;
    const triggerPrice = book.rules.toAmount(order.side === 'buy' ? book.lastHi : book.lastLo);
    this.#emit({ type: 'orderTriggered', time: now, order: order.snapshot(), triggerPrice });
    this.#execute(order, book, now);
  }

  /** Takes what the order may take now, then rests (GTC limit) or expires the rest. */
  #execute(order: BookOrder, book: SymbolBook, now: number): void {
    const limited = order.type === 'limit' || order.type === 'stop_limit';
    const marketable = limited
      ? this.#wouldTake(order, book)
      : (order.side === 'buy' ? book.askUnits : book.bidUnits) > 0;
    if (
      order.timeInForce === 'FOK' &&
      (!marketable || this.#take(order, book, now, false) < order.quantity)
    ) {
      this.#expire(order, 'FOK_NOT_FILLABLE', now);
      return;
    }
    if (marketable) this.#take(order, book, now, true);
    if (order.status === 'filled') return;
    if (!limited || order.timeInForce !== 'GTC') {
      this.#expire(order, 'IOC_UNFILLED', now);
      return;
    }
    this.#rest(order, book);
  }

  /**
   * Walks the liquidity on the other side: the live book's levels when there is one (#takeDepth),
   * otherwise the modelled liquidity (see slippage.ts): the quote's top, then the virtual levels, then
   * the cap, never beyond a limit price. With `apply` false it only measures (FOK).
   */
  #take(order: BookOrder, book: SymbolBook, now: number, apply: boolean): bigint {
    const buy = order.side === 'buy';
    const top = buy ? book.askUnits : book.bidUnits;
    const limit = order.type === 'limit' || order.type === 'stop_limit' ? order.limitUnits : Number.NaN;
    if (!(top > 0) || !allowed(top, buy, limit)) return 0n;
    const view = book.depth === null ? null : book.depth();
    if (view !== null) {
      const taken = this.#takeDepth(order, book, view, top, limit, now, apply);
      if (taken >= 0n) return taken;
    }
    let remaining = order.remaining;
    let taken = 0n;
    const available = book.topAvailable(buy);
    if (available > 0n) {
      const q = minAmount(remaining, available);
      if (apply) {
        if (buy) book.askTaken += q;
        else book.bidTaken += q;
        this.#fill(order, book, top, q, 'taker', 'quote', null, now);
      }
      taken += q;
      remaining -= q;
    }
    if (remaining === 0n) return taken;
    const model = this.#slippage;
    const tick = book.rules.tickUnits;
    const cap = capPrice(top, buy, model.maxSlippageBps, tick);
    let spacing = Math.ceil((book.flow.volatility * top * model.volatilityMultiplier) / tick) * tick;
    if (!(spacing >= tick)) spacing = tick;
    const depth = book.modelledDepth();
    for (let i = 1; i <= model.levels && remaining > 0n; i++) {
      const p = buy ? top + i * spacing : top - i * spacing;
      if (buy ? p >= cap : p <= cap) break;
      if (!allowed(p, buy, limit)) return taken;
      const q = minAmount(remaining, depth);
      if (apply) this.#fill(order, book, p, q, 'taker', 'model', null, now);
      taken += q;
      remaining -= q;
    }
    if (remaining > 0n && allowed(cap, buy, limit)) {
      if (apply) this.#fill(order, book, cap, remaining, 'taker', 'cap', null, now);
      taken += remaining;
    }
    return taken;
  }

  /**
   * A taker against the live book: its levels best first, each less what our takers already took from it
   * (DepthConsumption), prices rounded to the tick away from the taker and sizes down to the lot; book
   * levels that round to one price make one fill. The matcher's own top (the quote, or a trade printed
   * through it) bounds the walk on both ends: a level better than the top is not taken (the market already
   * traded through it, or the depth socket is behind the quote), and the cap is the modelled walk's (top
   * x (1 +/- maxSlippageBps)): levels beyond it are not taken and what is left fills at it, so a buy never
   * costs more than the modelled walk could (the order path reserves for that). A level beyond a limit
   * price ends the walk. At the top's price, what model walks took from the quote counts as taken too.
   * Returns -1n when the book cannot be trusted for this walk (then the model applies): no level on that
   * side, a best level beyond the cap's distance from the top on either side, no level between the top
   * and the cap, or a book that is not fresh whose best level is not the top (a frozen subscription while
   * the quote moved on).
   */
  #takeDepth(
    order: BookOrder,
    book: SymbolBook,
    view: DepthView,
    top: number,
    limit: number,
    now: number,
    apply: boolean,
  ): bigint {
    const buy = order.side === 'buy';
    const side: DepthSide = buy ? 'ask' : 'bid';
    const rules = book.rules;
    const cap = capPrice(top, buy, this.#slippage.maxSlippageBps, rules.tickUnits);
    const levels = view.levels(side)[Symbol.iterator]();
    let next = levels.next();
    if (next.done) return -1n;
    const best = rules.tickUnitsOf(next.value.price, buy ? 'ceil' : 'floor');
    // The cap's distance mirrored to the better side: a book that far from the top is not this market.
    const far = Math.abs(cap - top);
    if (Number.isNaN(best) || Math.abs(best - top) > far || (!view.fresh && best !== top)) return -1n;
    const consumed = book.depthTaken;
    consumed.begin(view.resets);
    // What model walks took from the quote (and this book's walks at the top, counted in both places).
    let quoteTaken = buy ? book.askTaken : book.bidTaken;
    let remaining = order.remaining;
    let taken = 0n;
    let limited = false;
    // Whether any level lay between the top and the cap: a book that shows nothing there, only levels the
    // market already passed, is behind it, and the model prices the walk instead.
    let reached = false;
    let last: bigint | null = null;
    // A fill is emitted when the price changes, so levels that round to one tick price make one fill.
    let atUnits = Number.NaN;
    let atQty = 0n;
    for (; !next.done; next = levels.next()) {
      const level = next.value;
      last = level.price;
      const mine = consumed.taken(side, level.price, level.quantity);
      const p = rules.tickUnitsOf(level.price, buy ? 'ceil' : 'floor');
      if (Number.isNaN(p) || (buy ? p > cap : p < cap)) break;
      // Better than the top: gone in the market already; never a fill better than the top.
      if (buy ? p < top : p > top) continue;
      reached = true;
      if (!allowed(p, buy, limit)) {
        limited = true;
        break;
      }
      let gone = mine;
      if (p === top) {
        quoteTaken -= mine;
        if (quoteTaken > 0n) {
          const extra = minAmount(quoteTaken, level.quantity - mine);
          gone += extra;
          quoteTaken -= extra;
        }
      }
      const left = rules.floorLot(level.quantity - gone);
      if (left <= 0n) continue;
      const q = minAmount(remaining, left);
      if (apply) {
        consumed.add(side, level.price, level.quantity, q);
        // The same size is the quote's top too: a model walk after the book goes away must not retake it.
        if (p === top) {
          if (buy) book.askTaken += q;
          else book.bidTaken += q;
        }
        if (p !== atUnits) {
          if (atQty > 0n) this.#fill(order, book, atUnits, atQty, 'taker', 'book', null, now);
          atUnits = p;
          atQty = 0n;
        }
        atQty += q;
      }
      taken += q;
      remaining -= q;
      if (remaining === 0n) break;
    }
    consumed.end(side, last);
    if (!reached) return -1n;
    if (atQty > 0n) this.#fill(order, book, atUnits, atQty, 'taker', 'book', null, now);
    if (remaining > 0n && !limited && allowed(cap, buy, limit)) {
      if (apply) this.#fill(order, book, cap, remaining, 'taker', 'cap', null, now);
      taken += remaining;
    }
    return taken;
  }

  #rest(order: BookOrder, book: SymbolBook): void {
    const buy = order.side === 'buy';
    const ahead = book.sizeAt(buy, order.limitUnits);
    const level = (buy ? book.bids : book.asks).add(order, order.limitUnits);
    order.queueMark = level.flow + ahead;
    order.place = 'resting';
  }

  #onTrade(book: SymbolBook, trade: Trade, now: number): void {
    const scale = book.rules.priceScale;
    let lo = tryParseUnits(trade.price, scale);
    let hi = lo;
    if (Number.isNaN(lo)) {
      lo = parseBookPrice(trade.price, scale, 'floor');
      hi = parseBookPrice(trade.price, scale, 'ceil');
      if (!(lo >= 0 && hi >= 0)) return;
    }
    book.onTradePrice(lo, hi, Number(trade.quantity));
    const bestBid = book.bids.best();
    const bestAsk = book.asks.best();
    const bidsCrossed = bestBid !== undefined && bestBid.price >= hi;
    const asksCrossed = bestAsk !== undefined && bestAsk.price <= lo;
    if (bidsCrossed || asksCrossed) {
      const quantity = parseScaled(trade.quantity, AMOUNT_SCALE, 'down');
      if (bidsCrossed) this.#fillResting(book, book.bids, true, lo, hi, quantity, trade, now);
      if (asksCrossed) this.#fillResting(book, book.asks, false, lo, hi, quantity, trade, now);
    }
    this.#triggerStops(book, lo, hi, now);
  }

  /**
   * A market trade at price p against our resting orders on one side, best level first. Levels strictly
   * better than p (buy above, sell below) fill FIFO from the traded quantity. At p itself the queue model
   * applies (README): only a trade whose taker is on the other side consumes our side's queue, the queue
   * ahead of an order is consumed first, and an order fills only once the ones before it have.
   */
  #fillResting(
    book: SymbolBook,
    side: BookSide,
    buy: boolean,
    lo: number,
    hi: number,
    quantity: bigint,
    trade: Trade,
    now: number,
  ): void {
    const rules = book.rules;
    let flow = quantity;
    while (flow > 0n) {
      const level = side.best();
      if (!level || (buy ? level.price < hi : level.price > lo)) return;
      if (lo === hi && level.price === lo) {
        if (trade.takerSide === (buy ? 'buy' : 'sell')) return;
        const before = level.flow;
        level.flow += flow;
        let position = 0n;
        for (let order = level.head; order; ) {
          const next = order.next;
          const ahead = order.queueMark > before ? order.queueMark - before : 0n;
          const start = ahead > position ? ahead : position;
          if (start >= flow) return;
          const lots = rules.floorLot(flow - start);
          const q = minAmount(lots, order.remaining);
          if (q === 0n) return;
          this.#fill(order, book, level.price, q, 'maker', 'trade', trade.tradeId, now);
          if (order.status !== 'filled') return;
          position = start + q;
          order = next;
        }
        return;
      }
      for (let order = level.head; order && flow > 0n; ) {
        const next = order.next;
        const lots = rules.floorLot(flow);
        const q = minAmount(lots, order.remaining);
        if (q === 0n) return;
        this.#fill(order, book, level.price, q, 'maker', 'trade', trade.tradeId, now);
        flow -= q;
        order = next;
      }
    }
  }

  /** Buy stops trigger when the last trade is at or above the stop, sell stops at or below. */
  #triggerStops(book: SymbolBook, lo: number, hi: number, now: number): void {
    for (let level = book.buyStops.best(); level && level.price <= lo; level = book.buyStops.best()) {
      const order = level.head as BookOrder;
      book.buyStops.remove(order);
      order.place = 'none';
      this.#trigger(order, book, now);
    }
    for (let level = book.sellStops.best(); level && level.price >= hi; level = book.sellStops.best()) {
      const order = level.head as BookOrder;
      book.sellStops.remove(order);
      order.place = 'none';
      this.#trigger(order, book, now);
    }
  }

  #fill(
    order: BookOrder,
    book: SymbolBook,
    units: number,
    quantity: bigint,
    liquidity: Liquidity,
    pricedBy: FillPricing,
    tradeId: string | null,
    now: number,
  ): void {
    // Rounded the way the ledger books them (ledger/order-postings.ts): the order's running totals are
    // rounded once, buy quote up and sell quote down, fees up, and each fill carries the difference.
    const price = book.rules.toAmount(units);
    const buy = order.side === 'buy';
    order.notionalExact += price * quantity;
    const filledQuote = divRound(order.notionalExact, AMOUNT_ONE, buy ? 'ceil' : 'floor');
    const quote = filledQuote - order.filledQuote;
    const rates = this.#fees.rates(order.venue, order.feeTier);
    const feeRate = liquidity === 'maker' ? rates.maker : rates.taker;
    order.feeExact += feeRate * quote;
    const fees = divRound(order.feeExact, AMOUNT_ONE, 'ceil');
    const fee = fees - order.fees;
    order.filledQuantity += quantity;
    order.filledQuote = filledQuote;
    order.fees = fees;
    order.fillCount++;
    order.updatedAt = now;
    order.status = order.filledQuantity === order.quantity ? 'filled' : 'partially_filled';
    if (order.status === 'filled') this.#close(order, book);
    this.#emit({
      type: 'orderFilled',
      time: now,
      order: order.snapshot(),
      fill: {
        id: `${order.id}:${order.fillCount}`,
        orderId: order.id,
        accountId: order.accountId,
        venue: order.venue,
        symbol: order.symbol,
        side: order.side,
        price,
        quantity,
        quote,
        feeRate,
        fee,
        feeAsset: book.rules.instrument.quote,
        liquidity,
        pricedBy,
        time: now,
        tradeId,
      },
    });
  }

  #cancel(order: BookOrder, now: number): void {
    const book = this.#book(order.venue, order.symbol);
    if (book) this.#close(order, book);
    else this.#unregister(order);
    order.status = 'canceled';
    order.reason = 'CANCELED_BY_USER';
    order.updatedAt = now;
    this.#emit({ type: 'orderCanceled', time: now, order: order.snapshot(), reason: 'CANCELED_BY_USER' });
  }

  #expire(order: BookOrder, reason: ExpireReason, now: number): void {
    const book = this.#book(order.venue, order.symbol);
    if (book) this.#close(order, book);
    order.status = 'expired';
    order.reason = reason;
    order.updatedAt = now;
    this.#emit({ type: 'orderExpired', time: now, order: order.snapshot(), reason });
  }

  #reject(order: BookOrder, reason: RejectReason, now: number, registered: boolean): void {
    if (registered) this.#unregister(order);
    order.status = 'rejected';
    order.reason = reason;
    order.updatedAt = now;
    this.#emit({ type: 'orderRejected', time: now, order: order.snapshot(), reason });
  }

  /** Takes a finished order out of the book and the indexes. */
  #close(order: BookOrder, book: SymbolBook): void {
    const buy = order.side === 'buy';
    if (order.place === 'resting') (buy ? book.bids : book.asks).remove(order);
    else if (order.place === 'stop') (buy ? book.buyStops : book.sellStops).remove(order);
    order.place = 'none';
    this.#unregister(order);
  }

  #register(order: BookOrder): void {
    this.#open.set(order.id, order);
    let set = this.#byAccount.get(order.accountId);
    if (!set) {
      set = new Set();
      this.#byAccount.set(order.accountId, set);
    }
    set.add(order);
  }

  #unregister(order: BookOrder): void {
    if (this.#open.get(order.id) === order) this.#open.delete(order.id);
    const set = this.#byAccount.get(order.accountId);
    if (set?.delete(order) && set.size === 0) this.#byAccount.delete(order.accountId);
  }

  #emit(event: MatchingEvent): void {
    this.#out.push(event);
  }

  /**
   * Delivers buffered events. Buffering keeps the book consistent while a listener runs: a listener may
   * call back into the engine (a strategy answering a fill with a new order); those events are
   * delivered after the current ones, in order.
   */
  #flush(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    const out = this.#out;
    let i = 0;
    try {
      while (i < out.length) this.#onEvent(out[i++] as MatchingEvent);
      out.length = 0;
    } catch (err) {
      out.splice(0, i);
      throw err;
    } finally {
      this.#delivering = false;
    }
  }
}

/** The fixed fields of a new order, from its request (defaults applied). */
function bookOrderInit(req: MatchOrderRequest): ConstructorParameters<typeof BookOrder>[0] {
  return {
    id: req.orderId,
    accountId: req.accountId,
    clientOrderId: req.clientOrderId ?? null,
    venue: req.venue,
    symbol: req.symbol,
    side: req.side,
    type: req.type,
    timeInForce: req.timeInForce ?? 'GTC',
    postOnly: (req.postOnly ?? false) && req.type === 'limit',
    feeTier: req.feeTier ?? 'default',
  };
}

/** Whether a taker may trade at p under its limit (NaN: no limit). A function, not a closure per take. */
function allowed(p: number, buy: boolean, limit: number): boolean {
  return Number.isNaN(limit) || (buy ? p <= limit : p >= limit);
}

/** Math.min for bigint amounts (Math.min takes numbers only). */
function minAmount(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function matches(order: BookOrder, filter: MatchOrderFilter): boolean {
  return (
    (filter.venue === undefined || order.venue === filter.venue) &&
    (filter.symbol === undefined || order.symbol === filter.symbol)
  );
}

/** The worst price a taker may reach: top x (1 +/- bps), rounded to the tick inside the cap. */
function capPrice(top: number, buy: boolean, bps: number, tick: number): number {
  const t = BigInt(top);
  const step = BigInt(tick);
  if (buy) {
    const c = (t * BigInt(10_000 + bps)) / 10_000n;
    return Math.max(top, Number(c - (c % step)));
  }
  const c = divRound(t * BigInt(10_000 - bps), 10_000n, 'ceil');
  const r = c % step;
  const up = r === 0n ? c : c + step - r;
  return Math.max(tick, Math.min(top, Number(up)));
}
