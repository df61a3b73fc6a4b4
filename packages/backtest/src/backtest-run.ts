import { AMOUNT_SCALE, formatScaled, type Instrument, ManualClock } from '@qt/shared';
import type {
  CallOutcome,
  CandleEvent,
  StrategyAction,
  StrategyDriver,
  StrategyHostView,
  StrategyLogLine,
} from '@qt/strategy-runtime';
import {
  type BookedFill,
  type MatchingEvent,
  type OrderSnapshot,
  realizedPnl,
  toOrderView,
} from '@qt/trading';
import { BacktestError } from './errors.ts';
import { checkAction } from './intents.ts';
import { computeMetrics } from './metrics.ts';
import { PaperSession } from './paper-session.ts';
import { buyAndHoldOfMarks, CoverageTracker, coverageNotes, tradeTotals, warmupNotes } from './report.ts';
import type {
  BacktestResult,
  BacktestStatus,
  DrawdownPoint,
  EquityPoint,
  FillRecord,
  OrderRecord,
} from './result.ts';
import { RoundTripTracker } from './round-trips.ts';
import type { ResolvedSpec } from './spec.ts';
import { TimerQueue } from './timer-queue.ts';

const fmt = (u: bigint) => formatScaled(u, AMOUNT_SCALE);
const MAX_LOGS = 1_000;
/** Equity samples allocated up front at most (4 MB per array): a year of 1m bars, about. */
const MAX_PRESIZED_SAMPLES = 1 << 19;
/** Driver callbacks answering one market step; more means a strategy feeding itself (reject -> retry). */
const MAX_CALLBACKS_PER_STEP = 10_000;

export type DriverFactory = (host: StrategyHostView) => StrategyDriver;

type Notice =
  | { kind: 'fill'; handle: number; instrument: number; fill: BookedFill; side: 'buy' | 'sell'; time: number }
  | { kind: 'order'; handle: number; status: OrderRecord['status']; reason: string | null };

/** A fill as recorded during the run; its amounts become FillRecord strings in result(). */
type BookedFillRecord = Omit<FillRecord, 'price' | 'quantity' | 'quote' | 'fee' | 'feeAsset'> & {
  booked: BookedFill;
};

interface Tracked {
  handle: number;
  instrument: number;
  record: OrderRecord;
  lastStatus: string;
}

/**
 * The state of one run: the paper session, the strategy, its timers and its pending actions, and what
 * the result is built from. The feeders (candle-replay.ts, trade-replay.ts) drive it event by event.
 *
 * When actions reach the market: in candles mode every action waits for the next point of the
 * synthetic path, after that point's quotes and before its trades (see candle-path.ts); so an order
 * decided on a candle's close can only fill on a later candle, never at a price the strategy saw before
 * deciding. In trades mode actions are submitted at once, at the time of the call that returned them,
 * against the matcher's state then (the last trade is the top of book; `latencyMs` delays arrival).
 */
export class BacktestRun {
  readonly spec: ResolvedSpec;
  readonly clock: ManualClock;
  readonly session: PaperSession;
  readonly driver: StrategyDriver;
  readonly instrumentIndex = new Map<string, number>();
  status: BacktestStatus | 'running' = 'running';
  reason: string | null = null;
  candles = 0;
  trades = 0;
  readonly #deferActions: boolean;
  readonly #timers = new TimerQueue();
  #pending: StrategyAction[] = [];
  readonly #notices: Notice[] = [];
  #callbacks = 0;
  readonly #handles = new Map<number, string>();
  readonly #byOrder = new Map<string, Tracked>();
  readonly #orders: OrderRecord[] = [];
  readonly #fills: BookedFillRecord[] = [];
  readonly #lastSnapshot = new Map<OrderRecord, OrderSnapshot>();
  readonly #trips: RoundTripTracker;
  readonly #rejections = new Map<string, number>();
  readonly #fees = new Map<string, bigint>();
  #cancels = 0;
  #nextOrder = 1;
  readonly #logs: StrategyLogLine[] = [];
  #logsDropped = 0;
  /**
   * The equity curve, one sample per bar: sized up front for the bars the spec can have (bounded), used
   * up to #samples, and trimmed in result(). Grown by push, a year of 1m bars copied each array a
   * dozen times into fresh large objects, which brought full collections forward.
   */
  readonly #curveTimes: number[];
  readonly #curveEquity: bigint[];
  #samples = 0;
  /**
   * The first instrument's last price at each sample, for the buy-and-hold line: as a double (NaN for
   * none; all its curve reads), and exact at the first sample and the latest (report.ts buyAndHoldOfMarks).
   */
  readonly #curveMark: number[];
  #firstMark: bigint | null = null;
  #lastMark: bigint | null = null;
  readonly #coverage: CoverageTracker;
  #firstOrderAfter: number | null = null;
  #bars = 0;
  #barsWithPosition = 0;

  constructor(
    spec: ResolvedSpec,
    driver: StrategyDriver | DriverFactory,
    tuning: { eagerQuotes?: boolean } = {},
  ) {
    this.spec = spec;
    this.clock = new ManualClock(spec.start);
    this.#deferActions = spec.mode === 'candles';
    // One sample per bar plus the first open; beyond the cap the arrays grow as usual.
    const bars = Math.min(
      Math.max(0, Math.floor((spec.end - spec.start) / spec.intervalMs)) + 2,
      MAX_PRESIZED_SAMPLES,
    );
    this.#curveTimes = new Array<number>(bars);
    this.#curveEquity = new Array<bigint>(bars);
    this.#curveMark = new Array<number>(bars);
    this.session = new PaperSession({
      clock: this.clock,
      instruments: spec.instruments,
      quoteAsset: spec.quoteAsset,
      fees: spec.fees,
      feeTier: spec.feeTier,
      slippage: spec.slippage,
      latencyMs: spec.latencyMs,
      limits: spec.limits,
      eagerQuotes: tuning.eagerQuotes ?? false,
      onEvent: (e, booked) => this.#onMatcherEvent(e, booked),
    });
    for (const [k, i] of spec.instruments.entries()) this.instrumentIndex.set(`${i.venue}|${i.symbol}`, k);
    this.#trips = new RoundTripTracker(spec.instruments.length);
    this.#coverage = new CoverageTracker(spec.instruments.length, spec.intervalMs);
    this.driver = typeof driver === 'function' ? driver(this.#hostView()) : driver;
  }

  get running(): boolean {
    return this.status === 'running';
  }

  /** Funds the account at the start time and initialises the strategy. */
  start(): void {
    for (const asset of Object.keys(this.spec.initialBalances).sort()) {
      this.session.deposit(asset, this.spec.initialBalances[asset] as string, this.spec.start);
    }
    const instruments = this.spec.instruments.map((i) => ({
      venue: i.venue,
      symbol: i.symbol,
      tickSize: i.tickSize,
      lotSize: i.lotSize,
    }));
    this.call(() => this.driver.init(this.spec.params, instruments));
  }

  cancel(): void {
    if (this.running) {
      this.status = 'cancelled';
      this.reason = 'Cancelled by the caller.';
    }
  }

  /** Ends the run as failed (an engine refusal mid-run); what happened before is kept. */
  fail(reason: string): void {
    if (this.running) {
      this.status = 'failed';
      this.reason = reason;
    }
  }

  // ---- strategy calls ------------------------------------------------------------------------------

  /**
   * One driver call: a trap ends the run (its actions are discarded); otherwise logs are kept, timers
   * scheduled, and actions deferred (candles mode) or submitted now (trades mode).
   */
  call(fn: () => CallOutcome): void {
    if (this.#mayCall()) this.#outcome(fn());
  }

  /** `call` of driver.onCandle, without a closure per candle. */
  callCandle(instrument: number, event: CandleEvent): void {
    this.#coverage.onCandle(instrument, event.openTime);
    if (this.#mayCall()) this.#outcome(this.driver.onCandle(instrument, event));
  }

  #mayCall(): boolean {
    if (!this.running) return false;
    if (++this.#callbacks > MAX_CALLBACKS_PER_STEP) {
      this.fail(`STRATEGY_CALLBACK_LOOP: more than ${MAX_CALLBACKS_PER_STEP} strategy calls at one moment.`);
      return false;
    }
    return true;
  }

  #outcome(out: CallOutcome): void {
    const logs = out.logs;
    for (let i = 0; i < logs.length; i++) {
      if (this.#logs.length < MAX_LOGS) this.#logs.push(logs[i] as StrategyLogLine);
      else this.#logsDropped++;
    }
    if (!out.ok) {
      this.fail(`${out.trap.code}: ${out.trap.message}`);
      return;
    }
    const timers = out.timers;
    for (let i = 0; i < timers.length; i++) {
      const t = timers[i] as (typeof timers)[number];
      this.#timers.add(t.timerId, t.dueAt);
    }
    const actions = out.actions;
    if (actions.length === 0) return;
    if (this.#deferActions)
      for (let i = 0; i < actions.length; i++) this.#pending.push(actions[i] as StrategyAction);
    else this.#applyActions(actions);
  }

  /** A new market moment: the loop guard restarts. */
  step(): void {
    this.#callbacks = 0;
  }

  /** Fires the timers due at or before `time` (each at its due time), then sets the clock to `time`. */
  advanceTo(time: number): void {
    while (this.running && this.#timers.peek() <= time) {
      const due = this.#timers.peek();
      const id = this.#timers.pop();
      if (due > this.clock.now()) this.clock.set(due);
      this.step();
      const now = this.clock.now();
      this.call(() => this.driver.onTimer(id, now));
      this.deliver();
    }
    if (time > this.clock.now()) this.clock.set(time);
  }

  get hasPendingActions(): boolean {
    return this.#pending.length > 0;
  }

  /** Submits the deferred actions (candles mode), now. */
  submitPending(): void {
    if (this.#pending.length === 0 || !this.running) return;
    const actions = this.#pending;
    this.#pending = [];
    this.#applyActions(actions);
    this.deliver();
  }

  /** Hands the queued fills and order updates to the strategy, in order, with what they cause. */
  deliver(): void {
    const q = this.#notices;
    if (q.length === 0) return; // the common case: setting an array's length is a runtime call
    let i = 0;
    while (i < q.length && this.running) {
      const n = q[i++] as Notice;
      if (n.kind === 'fill') {
        const f = n.fill;
        if (this.#mayCall()) {
          this.#outcome(
            this.driver.onFill({
              handle: n.handle,
              instrument: n.instrument,
              side: n.side,
              price: Number(fmt(f.price)),
              quantity: Number(fmt(f.quantity)),
              fee: Number(fmt(f.fee)),
              time: n.time,
            }),
          );
        }
      } else if (this.#mayCall()) {
        this.#outcome(this.driver.onOrder({ handle: n.handle, status: n.status as never, reason: n.reason }));
      }
    }
    q.length = 0;
  }

  // ---- actions -------------------------------------------------------------------------------------

  #applyActions(actions: readonly StrategyAction[]): void {
    for (let i = 0; i < actions.length; i++) {
      if (!this.running) return;
      this.#applyAction(actions[i] as StrategyAction);
    }
  }

  #applyAction(raw: StrategyAction): void {
    const a = checkAction(raw);
    if (typeof a === 'string') {
      const handle = (raw as { handle?: unknown }).handle;
      if (typeof handle === 'number' && (raw as { kind?: unknown }).kind === 'place') {
        this.#refuse(handle, -1, raw, 'ORDER_INVALID_INTENT');
      } else this.#log('warn', `Ignored a malformed strategy action: ${a}`);
      return;
    }
    if (a.kind === 'cancel') {
      const id = this.#handles.get(a.handle);
      if (id !== undefined && this.session.cancel(id)) this.#cancels++;
      return;
    }
    if (a.kind === 'cancelAll') {
      this.#cancels += this.session.cancelAll(a.instrument);
      return;
    }
    const inst = this.spec.instruments[a.instrument];
    if (!inst) {
      this.#refuse(a.handle, -1, a, 'MARKET_UNKNOWN_INSTRUMENT');
      return;
    }
    if (this.#handles.has(a.handle)) {
      this.#refuse(a.handle, a.instrument, a, 'ORDER_DUPLICATE_ID');
      return;
    }
    if (this.#firstOrderAfter === null) this.#firstOrderAfter = this.#bars;
    const orderId = `o${this.#nextOrder++}`;
    this.#handles.set(a.handle, orderId);
    const record = this.#newRecord(orderId, a.handle, inst, a);
    this.#byOrder.set(orderId, { handle: a.handle, instrument: a.instrument, record, lastStatus: 'new' });
    const placed = this.session.place({
      orderId,
      instrument: a.instrument,
      side: a.side,
      type: a.type,
      quantity: a.quantity,
      price: a.price,
      stopPrice: a.stopPrice,
      timeInForce: a.timeInForce,
      postOnly: a.postOnly,
    });
    if (!placed.ok) {
      this.#byOrder.delete(orderId);
      record.status = 'rejected';
      record.reason = placed.code;
      this.#countRejection(placed.code);
      this.#notices.push({ kind: 'order', handle: a.handle, status: 'rejected', reason: placed.code });
    }
  }

  /** A place action refused before it got an order id of the session's: recorded and reported. */
  #refuse(handle: number, instrument: number, a: unknown, code: string): void {
    const inst = this.spec.instruments[instrument];
    const p = a as Partial<
      Record<'side' | 'type' | 'timeInForce' | 'quantity' | 'price' | 'stopPrice', unknown>
    >;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    this.#orders.push({
      id: `r${this.#nextOrder++}`,
      handle,
      venue: inst?.venue ?? '',
      symbol: inst?.symbol ?? '',
      side: str(p.side) ?? '',
      type: str(p.type) ?? '',
      timeInForce: str(p.timeInForce) ?? '',
      postOnly: false,
      quantity: str(p.quantity) ?? '0',
      price: str(p.price),
      stopPrice: str(p.stopPrice),
      status: 'rejected',
      reason: code,
      filledQuantity: '0',
      averagePrice: null,
      fees: '0',
      createdAt: this.clock.now(),
      updatedAt: this.clock.now(),
    });
    this.#countRejection(code);
    this.#notices.push({ kind: 'order', handle, status: 'rejected', reason: code });
  }

  #newRecord(
    id: string,
    handle: number,
    inst: Instrument,
    a: {
      side: string;
      type: string;
      timeInForce: string;
      postOnly: boolean;
      quantity: string;
      price: string | null;
      stopPrice: string | null;
    },
  ): OrderRecord {
    const now = this.clock.now();
    const record: OrderRecord = {
      id,
      handle,
      venue: inst.venue,
      symbol: inst.symbol,
      side: a.side,
      type: a.type,
      timeInForce: a.timeInForce,
      postOnly: a.postOnly,
      quantity: a.quantity,
      price: a.price,
      stopPrice: a.stopPrice,
      status: 'new',
      reason: null,
      filledQuantity: '0',
      averagePrice: null,
      fees: '0',
      createdAt: now,
      updatedAt: now,
    };
    this.#orders.push(record);
    return record;
  }

  #countRejection(code: string): void {
    this.#rejections.set(code, (this.#rejections.get(code) ?? 0) + 1);
  }

  #log(level: StrategyLogLine['level'], message: string): void {
    if (this.#logs.length < MAX_LOGS) this.#logs.push({ level, message, time: this.clock.now() });
    else this.#logsDropped++;
  }

  // ---- matcher events ------------------------------------------------------------------------------

  #onMatcherEvent(e: MatchingEvent, booked: BookedFill | null): void {
    const t = this.#byOrder.get(e.order.id);
    if (!t) return;
    const order = e.order;
    const r = t.record;
    const status = order.status;
    r.status = status;
    r.reason = order.reason;
    r.updatedAt = order.updatedAt;
    // The amounts are formatted once, in result(), from the order's last snapshot (toOrderView's
    // strings): an order sees several events, and nothing reads the record before the end.
    this.#lastSnapshot.set(r, order);
    if (e.type === 'orderFilled' && booked) {
      const inst = this.spec.instruments[t.instrument] as Instrument;
      this.#fills.push({
        id: e.fill.id,
        orderId: e.fill.orderId,
        handle: t.handle,
        venue: inst.venue,
        symbol: inst.symbol,
        side: e.fill.side,
        booked,
        liquidity: e.fill.liquidity,
        time: e.fill.time,
      });
      this.#fees.set(booked.feeAsset, (this.#fees.get(booked.feeAsset) ?? 0n) + booked.fee);
      const after = this.session.positionQty[t.instrument] as bigint;
      const before = e.fill.side === 'buy' ? after - booked.quantity : after + booked.quantity;
      const position = this.session.positions.get(this.session.accountId, inst.venue, inst.symbol);
      this.#trips.onFill(
        t.instrument,
        inst.venue,
        inst.symbol,
        {
          side: e.fill.side,
          quantity: booked.quantity,
          quote: booked.quote,
          fee: booked.fee,
          time: e.fill.time,
        },
        before,
        after,
        position ? realizedPnl(position) : 0n,
      );
      this.#notices.push({
        kind: 'fill',
        handle: t.handle,
        instrument: t.instrument,
        fill: booked,
        side: e.fill.side,
        time: e.fill.time,
      });
    }
    if (e.type === 'orderRejected') this.#countRejection(e.reason);
    const changed = status !== t.lastStatus || e.type === 'orderAccepted';
    t.lastStatus = status;
    if (changed && e.type !== 'orderTriggered') {
      const reason = e.type === 'orderRejected' || e.type === 'orderExpired' ? e.reason : null;
      this.#notices.push({ kind: 'order', handle: t.handle, status, reason });
    }
    if (status !== 'new' && status !== 'partially_filled') this.#byOrder.delete(order.id);
  }

  /** The order records with their amounts as toOrderView formats them from each order's last snapshot. */
  #ordersOut(): OrderRecord[] {
    for (const [r, o] of this.#lastSnapshot) {
      const view = toOrderView(o);
      r.quantity = view.quantity;
      r.price = view.price;
      r.stopPrice = view.stopPrice;
      r.filledQuantity = view.filledQuantity;
      r.averagePrice = view.averagePrice;
      r.fees = fmt(o.fees);
    }
    return this.#orders;
  }

  #fillsOut(): FillRecord[] {
    return this.#fills.map(({ booked, ...f }) => ({
      id: f.id,
      orderId: f.orderId,
      handle: f.handle,
      venue: f.venue,
      symbol: f.symbol,
      side: f.side,
      price: fmt(booked.price),
      quantity: fmt(booked.quantity),
      quote: fmt(booked.quote),
      fee: fmt(booked.fee),
      feeAsset: booked.feeAsset,
      liquidity: f.liquidity,
      time: f.time,
    }));
  }

  // ---- sampling and results ------------------------------------------------------------------------

  /** One equity sample (per bar); skipped while some asset held has no price yet. */
  sample(time: number, bar: boolean): void {
    const equity = this.session.equity();
    if (equity === null) return;
    const n = this.#samples;
    const price = this.session.lastPrice(0);
    // Once a price is known it never goes back to none, so the latest one stored is the last one.
    if (price !== null) this.#lastMark = price;
    const mark = price === null ? Number.NaN : Number(price);
    if (n > 0 && this.#curveTimes[n - 1] === time) {
      this.#curveEquity[n - 1] = equity;
      this.#curveMark[n - 1] = mark;
      if (n === 1) this.#firstMark = price;
    } else {
      this.#curveTimes[n] = time;
      this.#curveEquity[n] = equity;
      this.#curveMark[n] = mark;
      this.#samples = n + 1;
      if (n === 0) this.#firstMark = price;
    }
    if (!bar) return;
    this.#bars++;
    const held = this.session.positionQty;
    for (let k = 0; k < held.length; k++) {
      if (held[k] !== 0n) {
        this.#barsWithPosition++;
        break;
      }
    }
  }

  get hasSamples(): boolean {
    return this.#samples > 0;
  }

  /** Ends a run that consumed all its data: the timers due before the end fire, then the books close. */
  finish(): void {
    if (!this.running) return;
    this.advanceTo(Math.max(this.clock.now(), this.spec.end - 1));
    if (this.running) this.status = 'completed';
  }

  result(): BacktestResult {
    const check = this.session.ledger.reconcile();
    const totals = [...this.session.ledger.totals()].filter(([, v]) => v !== 0n);
    if (!check.ok || totals.length > 0) {
      throw new BacktestError(
        'BACKTEST_LEDGER_MISMATCH',
        'The ledger does not reconcile with its journal or does not conserve value: a bug, not a result.',
        {
          reconcile: JSON.parse(JSON.stringify(check, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
          totals: totals.map(([a, v]) => [a, v.toString()]),
        },
      );
    }
    // The presized arrays end at the last sample from here on.
    this.#curveTimes.length = this.#samples;
    this.#curveEquity.length = this.#samples;
    this.#curveMark.length = this.#samples;
    const times = this.#curveTimes;
    // Equity is flat for long stretches (no position): format each distinct run once. One pass builds
    // the curve and the numbers the metrics read.
    const curve = this.#curveEquity;
    const n = times.length;
    // Sized up front: a year of 1m bars is half a million points, and growing by push copies each array
    // a dozen times.
    const equityNum: number[] = new Array(n);
    const equityCurve: EquityPoint[] = new Array(n);
    let prev: bigint | null = null;
    let text = '';
    let num = 0;
    for (let i = 0; i < n; i++) {
      const e = curve[i] as bigint;
      if (e !== prev) {
        prev = e;
        text = fmt(e);
        num = Number(text);
      }
      equityNum[i] = num;
      equityCurve[i] = { time: times[i] as number, equity: text, value: num };
    }
    const metrics = computeMetrics({
      times,
      equity: equityNum,
      intervalMs: this.spec.intervalMs,
      tripPnls: this.#trips.pnls.map((p) => Number(fmt(p))),
      barsWithPosition: this.#barsWithPosition,
      bars: this.#bars,
    });
    const { drawdownCurve, notes: metricNotes, ...perf } = metrics;
    const drawdownPoints: DrawdownPoint[] = new Array(n);
    for (let i = 0; i < n; i++) {
      drawdownPoints[i] = { time: times[i] as number, drawdown: drawdownCurve[i] as number };
    }
    const balances = this.session.ledger
      .balances(this.session.accountId)
      .map((b) => ({ asset: b.asset, free: fmt(b.free), locked: fmt(b.locked) }));
    const positions = this.session.positions.list(this.session.accountId).map((p) => ({
      venue: p.venue,
      symbol: p.symbol,
      quantity: fmt(p.quantity),
      realizedPnl: fmt(realizedPnl(p)),
    }));
    return {
      status: this.status === 'running' ? 'completed' : this.status,
      reason: this.reason,
      mode: this.spec.mode,
      interval: this.spec.interval,
      start: this.spec.start,
      end: this.spec.end,
      quoteAsset: this.spec.quoteAsset,
      equityCurve,
      drawdownCurve: drawdownPoints,
      orders: this.#ordersOut(),
      fills: this.#fillsOut(),
      roundTrips: this.#trips.trips,
      metrics: {
        ...perf,
        initialEquity: equityCurve[0]?.equity ?? null,
        finalEquity: equityCurve[n - 1]?.equity ?? null,
        feesPaid: Object.fromEntries(
          [...this.#fees].sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, v]) => [a, fmt(v)]),
        ),
        orders: this.#orders.length,
        fills: this.#fills.length,
        rejections: [...this.#rejections.values()].reduce((a, b) => a + b, 0),
        rejectionsByCode: Object.fromEntries([...this.#rejections].sort(([a], [b]) => (a < b ? -1 : 1))),
        cancels: this.#cancels,
        roundTrips: this.#trips.trips.length,
        bars: this.#bars,
        candlesProcessed: this.candles,
        tradesProcessed: this.trades,
        unsubmittedActions: this.#pending.length,
      },
      balances,
      positions,
      logs: this.#logs,
      logsDropped: this.#logsDropped,
      report: this.#report(metricNotes),
    };
  }

  #report(metricNotes: BacktestResult['report']['notes']): BacktestResult['report'] {
    const spec = this.spec;
    const coverage = this.#coverage.list(spec.instruments);
    const first = spec.instruments[0] as Instrument;
    return {
      notes: [
        ...metricNotes,
        ...coverageNotes(
          coverage,
          { start: spec.start, end: spec.end, intervalMs: spec.intervalMs },
          this.status === 'completed' || this.status === 'running',
        ),
        ...warmupNotes(this.#firstOrderAfter, this.#bars),
      ],
      coverage,
      firstOrderAfterCandles: this.#firstOrderAfter,
      buyAndHold: buyAndHoldOfMarks(
        { venue: first.venue, symbol: first.symbol },
        this.#curveTimes,
        this.#curveMark,
        this.#firstMark,
        this.#lastMark,
        this.#curveEquity[0] ?? null,
      ),
      tradeTotals: tradeTotals(this.#trips.trips, this.#trips.pnls, this.#trips.fees),
    };
  }

  #hostView(): StrategyHostView {
    return {
      now: () => this.clock.now(),
      position: (k) => this.session.positionNumber(k),
      freeBalance: (k, which) => {
        const inst = this.spec.instruments[k];
        return inst ? Number(fmt(this.session.freeBalance(which === 0 ? inst.base : inst.quote))) : 0;
      },
    };
  }
}
