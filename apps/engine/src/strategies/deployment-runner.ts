import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock, TenantScope } from '@qt/shared';
import {
  AppError,
  type DeploymentState,
  type FillView,
  type Instrument,
  type Kline,
  type MessageBus,
  type OrderView,
  type StrategyLogLineView,
  type Subscription,
  subjects,
  topics,
} from '@qt/shared';
import {
  type CallOutcome,
  DEPLOYMENT_LIMITS,
  type DeploymentLimits,
  type DeploymentStopCode,
  type StrategyAction,
  type StrategyInstrument,
  type StrategyTrap,
  TokenBucket,
  WindowCounter,
} from '@qt/strategy-runtime';
import type { Logger } from '../observability/logger.ts';
import { HOLD_LIMITS } from '../trading/persistence-hold.ts';
import type { TradingService } from '../trading/trading-service.ts';
import type { HostSnapshot, RunningStrategy, StartStrategy } from './running-strategy.ts';
import type { DeploymentRow } from './strategy-store.ts';

const INTERVAL_SECONDS: Record<string, number> = {
  '1s': 1,
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3_600,
  '4h': 14_400,
  '1d': 86_400,
};
const LOG_RING = 500;
/**
 * Handles of orders that ended, remembered so a second report of the same end (the push and placeOrder's
 * own answer) is told once. Both arrive within moments of each other: the last few thousand suffice, and a
 * long-lived strategy's memory does not grow with every order it ever placed.
 */
const ENDED_HANDLES_KEPT = 4_096;
/** How often a deployment waiting for its held account looks again (the hold retries at 200 ms to 5 s). */
const HELD_POLL_MS = 200;
/**
 * Account events (fills, order outcomes of this run's orders) that arrive while the account is held are
 * the hold's drain: they come in one burst when the database is back, and a strategy must not fail with
 * EVENT_QUEUE_FULL for the engine's outage. They are counted apart, bounded by what a hold can release:
 * each held change (HOLD_LIMITS.perAccount at most) pushes at most a fill and an order outcome.
 */
const MAX_ABSORBED_EVENTS = 2 * HOLD_LIMITS.perAccount;

export interface DeploymentCounters {
  orders: number;
  rejected: number;
  fills: number;
  droppedCandles: number;
}

export interface DeploymentRunnerDeps {
  trading: TradingService;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  instrument(venue: string, symbol: string): Instrument | undefined;
  startStrategy: StartStrategy;
  /** Persists and publishes a state change. */
  onState(id: string, state: DeploymentState, reason: string | null): Promise<void>;
  onLog(id: string, line: StrategyLogLineView): void;
}

/**
 * One deployment of a strategy to a paper account: feeds it closed candles of its instruments (from the
 * bus), turns its actions into orders through the same TradingService path as every other order (risk
 * first: a strategy cannot bypass it), and tells it about its fills and order outcomes. Events are
 * handled one at a time, in order; a trap or the watchdog stops the deployment with the reason.
 */
export class DeploymentRunner {
  readonly row: DeploymentRow;
  readonly #deps: DeploymentRunnerDeps;
  readonly #scope: TenantScope;
  readonly #instruments: Instrument[];
  readonly #index = new Map<string, number>();
  #strategy: RunningStrategy | null = null;
  #state: DeploymentState = 'starting';
  #reason: string | null = null;
  #stateWrites: Promise<void> = Promise.resolve();
  readonly #subs: Subscription[] = [];
  readonly #abort = new AbortController();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** The order chain: one event at a time. */
  #chain: Promise<void> = Promise.resolve();
  #queuedCandles = 0;
  /** Events in #chain not yet run (bounded by the tier's maxQueuedEvents). */
  #queuedEvents = 0;
  /** Account events in #chain that arrived while the account was held (MAX_ABSORBED_EVENTS). */
  #absorbedEvents = 0;
  /** Set while the chain waits for the account (held, or refused for the engine's outage). */
  #waitingForAccount = false;
  /** performance.now() before which the chain does not call the strategy (an outage's retry-after hint). */
  #outageUntil = 0;
  /**
   * Orders refused for the engine's outage, credited back to the order bucket (at most its burst): a
   * strategy that places them again once the account is back is not charged twice.
   */
  #outageCredit = 0;
  /** placeOrder calls in flight (0 or 1: #apply runs in the chain); their fills may precede the id. */
  #placing = 0;
  /** False once retired (redeploy): the row belongs to the next run, this one stores no more state. */
  #persist = true;
  /** The tier's bounds and their counters (deployment-limits.ts in the runtime); set again at start. */
  #bounds: Bounds;
  readonly #lastCandle = new Map<number, number>();
  /** This run's orders still open, by handle (what cancel and cancelAll act on). */
  readonly #open = new Map<number, { orderId: string; instrument: number }>();
  /** Order id -> handle, until the order ends (later look-ups go through its client order id). */
  readonly #handleOf = new Map<string, number>();
  /** The last order status told to the strategy, per handle, while the order is open. */
  readonly #told = new Map<number, string>();
  /** Handles whose end was told, oldest first (at most ENDED_HANDLES_KEPT). */
  readonly #ended = new Set<number>();
  readonly #session: string;
  readonly counters: DeploymentCounters = { orders: 0, rejected: 0, fills: 0, droppedCandles: 0 };
  readonly logs: StrategyLogLineView[] = [];
  /** Open times of the first and last closed candle delivered (any instrument), and how many. */
  readonly candles = { first: null as number | null, last: null as number | null, count: 0 };

  constructor(row: DeploymentRow, deps: DeploymentRunnerDeps) {
    this.row = row;
    this.#deps = deps;
    this.#scope = { tenantId: row.tenantId, actor: `strategy:${row.id}` };
    this.#instruments = row.instruments.map((ref, i) => {
      const found = deps.instrument(ref.venue, ref.symbol);
      if (!found) {
        throw new AppError(
          'MARKET_UNKNOWN_INSTRUMENT',
          `${ref.venue} ${ref.symbol} is not a known instrument.`,
        );
      }
      this.#index.set(`${ref.venue}:${ref.symbol}`, i);
      return found;
    });
    // Client order ids tie orders to this run: `st.<deployment>.<run>.<handle>` (<= 64 characters).
    this.#session = `st.${row.id.replaceAll('-', '')}.${deps.clock.now().toString(36)}`;
    this.#bounds = bounds(DEPLOYMENT_LIMITS.FREE, deps.clock.now());
  }

  get state(): DeploymentState {
    return this.#state;
  }
  get reason(): string | null {
    return this.#reason;
  }
  metrics() {
    return this.#strategy?.metrics() ?? null;
  }

  /** Instantiates the module and subscribes; resolves once it runs (or failed to start). */
  async start(
    wasm: Uint8Array,
    tier: 'FREE' | 'PRO' | 'ENTERPRISE',
    paused = false,
    pausedReason: string | null = null,
  ): Promise<void> {
    this.#bounds = bounds(DEPLOYMENT_LIMITS[tier], this.#deps.clock.now());
    const instruments: StrategyInstrument[] = this.#instruments.map((i) => ({
      venue: i.venue,
      symbol: i.symbol,
      tickSize: i.tickSize,
      lotSize: i.lotSize,
    }));
    const started = await this.#deps.startStrategy({
      wasm,
      params: this.row.params,
      instruments,
      tier,
      label: `deployment ${this.row.id}`,
      view: await this.#snapshot(),
    });
    this.#record(started.outcome);
    if (!started.ok) {
      await this.#fail(started.outcome);
      return;
    }
    this.#strategy = started.strategy;
    for (const [i, inst] of this.#instruments.entries()) {
      const subject = subjects.marketKlines(inst.venue, inst.symbol, this.row.interval);
      this.#subs.push(
        await this.#deps.bus.subscribe(topics.marketKlines, subject, (m) => this.#onKline(i, m.data)),
      );
    }
    void this.#follow(
      this.#deps.trading.fillUpdates(this.#scope, this.row.accountId, this.#abort.signal),
      (f) => this.#onFill(f),
    );
    void this.#follow(
      this.#deps.trading.orderUpdates(this.#scope, this.row.accountId, this.#abort.signal),
      (o) => this.#onOrderView(o),
    );
    await this.#setState(paused ? 'paused' : 'running', paused ? pausedReason : null);
  }

  /** `reason`: why it was paused when not by its owner (e.g. `FEED_STALE: ...`), shown and stored. */
  async pause(reason: string | null = null): Promise<void> {
    if (this.#state !== 'running') throw stateError(this.#state, 'paused');
    await this.#setState('paused', reason);
  }

  /** A paused deployment's reason changes (who holds it paused): e.g. a stale feed, then an ended subscription. */
  async repause(reason: string): Promise<void> {
    if (this.#state !== 'paused') throw stateError(this.#state, 'paused');
    await this.#setState('paused', reason);
  }

  /**
   * Resume, after the caller stored `running` in the transaction that reserved the tier-cap place (so
   * memory never runs ahead of the row). False when the deployment left `paused` meanwhile (it failed or
   * was stopped; that write landed after the commit, so the row agrees).
   */
  resumed(): boolean {
    if (this.#state !== 'paused') return false;
    this.#state = 'running';
    this.#reason = null;
    return true;
  }

  /**
   * Unsubscribes and terminates the sandbox; open orders stay (they are the account's, like a person's).
   * `persist: false` (redeploy) retires the run: the row already belongs to the next one, so neither this
   * stop nor a failure racing it may write the row's state.
   */
  async stop(
    reason: string | null = null,
    state: DeploymentState = 'stopped',
    persist = true,
  ): Promise<void> {
    if (!persist) this.#persist = false;
    this.#abort.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#subs.splice(0).map((s) => s.unsubscribe().catch(() => undefined)));
    const strategy = this.#strategy;
    this.#strategy = null;
    await strategy?.stop().catch(() => undefined);
    if (this.#state !== 'failed') await this.#setState(state, reason);
    // Every state write is stored before stop() returns: at engine shutdown, the deployments are
    // released (crash probation) after this, and a late write must not land after the release.
    await this.#stateWrites;
  }

  // ---- events --------------------------------------------------------------------------------------

  #onKline(instrument: number, k: Kline): void {
    if (!k.closed || this.#state === 'failed' || this.#state === 'stopped') return;
    // A closed candle is re-published when a late trade corrects it: the strategy saw it already.
    const last = this.#lastCandle.get(instrument);
    if (last !== undefined && k.openTime <= last) return;
    this.#lastCandle.set(instrument, k.openTime);
    if (this.#state === 'paused') return;
    if (this.#queuedCandles >= this.#bounds.limits.maxQueuedCandles) {
      this.counters.droppedCandles++;
      return;
    }
    this.#queuedCandles++;
    const candle = {
      intervalSeconds: INTERVAL_SECONDS[k.interval] ?? 0,
      openTime: k.openTime,
      open: Number(k.open),
      high: Number(k.high),
      low: Number(k.low),
      close: Number(k.close),
      volume: Number(k.baseVolume),
    };
    this.#enqueue(async (s) => {
      this.#queuedCandles--;
      this.candles.first ??= candle.openTime;
      this.candles.last = candle.openTime;
      this.candles.count++;
      return s.onCandle(instrument, candle, await this.#snapshot());
    });
  }

  #onFill(f: FillView): void {
    // The account's other fills (other deployments', a person's) are none of this strategy's business:
    // dropped here, without a look-up, unless one of its placements is in flight (a market order's fills
    // are pushed while placeOrder still runs, before #apply has learnt the order's id: the chain, which
    // runs after #apply, tells).
    const known = this.#handleOf.get(f.orderId);
    if (known === undefined && this.#placing === 0) return;
    this.#enqueue(async (s) => {
      const handle = known ?? this.#handleOf.get(f.orderId);
      if (handle === undefined) return null;
      this.counters.fills++;
      return s.onFill(
        {
          handle,
          instrument: this.#index.get(`${f.venue}:${f.symbol}`) ?? -1,
          side: f.side,
          price: Number(f.price),
          quantity: Number(f.quantity),
          fee: Number(f.fee),
          time: f.time,
        },
        await this.#snapshot(),
      );
    }, true);
  }

  #onOrderView(o: OrderView): void {
    const handle = this.#handleOfClientId(o.clientOrderId);
    if (handle === undefined || o.status === 'new') return;
    this.#enqueue(async (s) => {
      // The same status twice (the push and placeOrder's own answer) is told once.
      if (this.#ended.has(handle) || this.#told.get(handle) === o.status) return null;
      if (o.status === 'partially_filled') this.#told.set(handle, o.status);
      else this.#end(handle, o.id);
      return s.onOrder({ handle, status: o.status, reason: o.reason }, await this.#snapshot());
    }, true);
  }

  /** An order of this run ended: later reports of it are not told again. */
  #end(handle: number, orderId: string | null): void {
    this.#told.delete(handle);
    this.#open.delete(handle);
    if (orderId !== null) this.#handleOf.delete(orderId);
    this.#ended.add(handle);
    if (this.#ended.size > ENDED_HANDLES_KEPT) {
      for (const oldest of this.#ended) {
        this.#ended.delete(oldest);
        break;
      }
    }
  }

  #handleOfClientId(clientOrderId: string | null): number | undefined {
    if (!clientOrderId?.startsWith(`${this.#session}.`)) return undefined;
    const handle = Number(clientOrderId.slice(this.#session.length + 1));
    return Number.isSafeInteger(handle) && handle > 0 ? handle : undefined;
  }

  /**
   * Queues a call to the strategy. `fromAccount`: a fill or order outcome pushed by the account; one that
   * arrives while the account is held is part of the hold's drain burst and counted apart (see
   * MAX_ABSORBED_EVENTS), not against the tier's event bound.
   */
  #enqueue(call: (s: RunningStrategy) => Promise<CallOutcome | null>, fromAccount = false): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    const absorbed = fromAccount && (this.#waitingForAccount || this.#accountHeld());
    if (absorbed) {
      if (this.#absorbedEvents >= MAX_ABSORBED_EVENTS) {
        this.#stopOver(
          'EVENT_QUEUE_FULL',
          `${this.#absorbedEvents} fills and order outcomes released by the database's return were waiting ` +
            'for the strategy, more than a held account can release.',
        );
        return;
      }
    } else if (this.#queuedEvents >= this.#bounds.limits.maxQueuedEvents) {
      this.#stopOver(
        'EVENT_QUEUE_FULL',
        `${this.#queuedEvents} events (candles, fills, order outcomes, timers) were waiting for the strategy, ` +
          `the ${this.#bounds.limits.tier} tier's limit. It produces work faster than it handles it: fewer orders or timers per call.`,
      );
      return;
    }
    if (absorbed) this.#absorbedEvents++;
    else this.#queuedEvents++;
    this.#chain = this.#chain.then(async () => {
      try {
        // Not while the engine cannot take the account's orders: whatever the strategy did now would be
        // refused for the engine's outage (SERVICE_UNAVAILABLE), and a strategy that retries on refusal
        // would loop at worker speed into ORDER_STORM. Its events wait here, in order, instead.
        await this.#waitForAccount();
      } finally {
        if (absorbed) this.#absorbedEvents--;
        else this.#queuedEvents--;
      }
      const s = this.#strategy;
      if (!s || this.#state === 'failed' || this.#state === 'stopped') return;
      try {
        const outcome = await call(s);
        if (!outcome) return;
        this.#record(outcome);
        if (!outcome.ok) {
          await this.#fail(outcome);
          return;
        }
        // Bounds first, for the whole call: a call over one has none of its timers or orders applied.
        const over = this.#overLimits(outcome);
        if (over) {
          await this.#stopFor(over.code, over.message);
          return;
        }
        for (const t of outcome.timers) this.#schedule(t.timerId, t.dueAt);
        await this.#apply(outcome.actions);
      } catch (err) {
        this.#deps.logger.error({ err, deployment: this.row.id }, 'strategy event failed');
      }
    });
  }

  #accountHeld(): boolean {
    return this.#deps.trading.isAccountHeld(this.row.accountId);
  }

  /**
   * Waits while the account is held (its changes wait for the database) or an outage refusal's retry-after
   * has not passed. Events arriving meanwhile are queued behind; ends early when the deployment stops.
   */
  async #waitForAccount(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      for (;;) {
        if (signal.aborted) return;
        const left = this.#outageUntil - performance.now();
        if (left <= 0 && !this.#accountHeld()) return;
        this.#waitingForAccount = true;
        await sleep(Math.max(1, Math.min(HELD_POLL_MS, left > 0 ? left : HELD_POLL_MS)), undefined, {
          signal,
          ref: false,
        }).catch(() => undefined);
      }
    } finally {
      this.#waitingForAccount = false;
    }
  }

  /** Whether a call's timers and orders keep the deployment within its bounds (they are taken if so). */
  #overLimits(
    outcome: Extract<CallOutcome, { ok: true }>,
  ): { code: DeploymentStopCode; message: string } | null {
    const l = this.#bounds.limits;
    const now = this.#deps.clock.now();
    const timers = outcome.timers.length;
    if (timers > 0) {
      if (this.#timers.size + timers > l.maxOutstandingTimers) {
        return {
          code: 'TIMER_LIMIT',
          message:
            `the strategy asked for ${timers} more timers with ${this.#timers.size} not yet fired; the ${l.tier} ` +
            `tier allows ${l.maxOutstandingTimers} outstanding.`,
        };
      }
      if (!this.#bounds.timerRate.take(timers, now)) {
        return {
          code: 'TIMER_LIMIT',
          message:
            `the strategy set timers faster than the ${l.tier} tier's ${l.timersPerSecond} per second ` +
            `(bursts of ${l.timerBurst}). Use a longer delay instead of re-arming at once.`,
        };
      }
    }
    let places = 0;
    for (const a of outcome.actions) if (a.kind === 'place') places++;
    // Orders refused for the engine's outage were not the strategy's doing: placing them again is free.
    const credited = Math.min(places, this.#outageCredit);
    this.#outageCredit -= credited;
    const charged = places - credited;
    if (charged > 0 && !this.#bounds.orderRate.take(charged, now)) {
      return {
        code: 'ORDER_STORM',
        message:
          `the strategy placed orders faster than the ${l.tier} tier's ${l.ordersPerSecond} per second ` +
          `(bursts of ${l.orderBurst}).`,
      };
    }
    return null;
  }

  #schedule(timerId: number, dueAt: number): void {
    const delay = Math.max(0, dueAt - this.#deps.clock.now());
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#state !== 'running') return;
      this.#enqueue(async (s) => s.onTimer(timerId, this.#deps.clock.now(), await this.#snapshot()));
    }, delay);
    t.unref();
    this.#timers.add(t);
  }

  /**
   * A call's actions, in order. The runtime already discarded a trapped call's actions (all or nothing);
   * here each order passes risk on its own, and a refusal goes back to the strategy through qt_on_order.
   */
  async #apply(actions: readonly StrategyAction[]): Promise<void> {
    for (const a of actions) {
      if (this.#state === 'failed' || this.#state === 'stopped') return;
      if (a.kind === 'place') {
        const inst = this.#instruments[a.instrument];
        if (!inst) continue;
        this.counters.orders++;
        this.#placing++;
        try {
          const order = await this.#deps.trading.placeOrder(this.#scope, {
            accountId: this.row.accountId,
            venue: inst.venue,
            symbol: inst.symbol,
            side: a.side,
            type: a.type,
            quantity: a.quantity,
            ...(a.price !== null ? { price: a.price } : {}),
            ...(a.stopPrice !== null ? { stopPrice: a.stopPrice } : {}),
            timeInForce: a.timeInForce,
            postOnly: a.postOnly,
            clientOrderId: `${this.#session}.${a.handle}`,
          });
          this.#handleOf.set(order.id, a.handle);
          if (order.status === 'new' || order.status === 'partially_filled') {
            this.#open.set(a.handle, { orderId: order.id, instrument: a.instrument });
          }
          // Terminal at once (a filled market order): its fills were pushed before we knew the id.
          if (order.status !== 'new' && order.status !== 'partially_filled') this.#onOrderView(order);
          if (order.status === 'rejected' && (await this.#refusedOverLimit())) return;
        } catch (err) {
          this.counters.rejected++;
          const code = err instanceof AppError ? err.code : 'INTERNAL';
          const message = err instanceof Error ? err.message : String(err);
          this.#log('warn', `order ${a.handle} refused: ${code}: ${message}`);
          if (code === 'SERVICE_UNAVAILABLE') {
            // The engine's own outage (the account held while the database is away) is not the
            // strategy's fault: not counted towards ORDER_STORM, the order's place in the bucket given
            // back, and the refusal told only once the account takes orders again (the chain waits,
            // #waitForAccount), so a strategy that retries on refusal does not spin meanwhile.
            this.#outageCredit = Math.min(this.#bounds.limits.orderBurst, this.#outageCredit + 1);
            this.#outageUntil = Math.max(this.#outageUntil, performance.now() + retryAfterMs(err));
          } else if (await this.#refusedOverLimit()) return;
          this.#enqueue(async (s) => {
            // An order whose outcome the outage left unknown may be reported again (canceled) when the
            // hold drains: the strategy hears of its end once.
            if (this.#ended.has(a.handle)) return null;
            this.#end(a.handle, null);
            return s.onOrder({ handle: a.handle, status: 'rejected', reason: code }, await this.#snapshot());
          });
        } finally {
          this.#placing--;
        }
      } else if (a.kind === 'cancel') {
        const open = this.#open.get(a.handle);
        if (open) await this.#cancel(open.orderId);
      } else {
        // Only this strategy's own open orders: the account may hold a person's orders too.
        for (const open of [...this.#open.values()]) {
          if (a.instrument < 0 || open.instrument === a.instrument) await this.#cancel(open.orderId);
        }
      }
    }
  }

  /** Counts a refused order; stops the deployment when too many were refused in the window. */
  async #refusedOverLimit(): Promise<boolean> {
    if (!this.#bounds.refused.addAndExceeded(this.#deps.clock.now())) return false;
    const l = this.#bounds.limits;
    await this.#stopFor(
      'ORDER_STORM',
      `more than ${l.maxRefusedOrders} of its orders were refused within ${l.refusedWindowMs / 1000} s ` +
        `(the ${l.tier} tier's limit). Check the refusal reasons in the log before placing more.`,
    );
    return true;
  }

  async #cancel(orderId: string): Promise<void> {
    try {
      await this.#deps.trading.cancelOrder(this.#scope, { accountId: this.row.accountId, orderId });
    } catch (err) {
      // Already filled or canceled: the strategy learns the outcome through qt_on_order.
      if (!(err instanceof AppError)) throw err;
    }
  }

  async #follow<T>(updates: AsyncIterable<T>, handle: (value: T) => void): Promise<void> {
    try {
      for await (const u of updates) handle(u);
    } catch (err) {
      if (!this.#abort.signal.aborted) {
        this.#deps.logger.warn({ err, deployment: this.row.id }, 'strategy lost its account updates');
      }
    }
  }

  async #snapshot(): Promise<HostSnapshot> {
    const [balances, positions] = await Promise.all([
      this.#deps.trading.balances(this.#scope, this.row.accountId),
      this.#deps.trading.positions(this.#scope, this.row.accountId),
    ]);
    const free = new Map(balances.map((b) => [b.asset, Number(b.free)]));
    const held = new Map(positions.map((p) => [`${p.venue}:${p.symbol}`, Number(p.quantity)]));
    return {
      now: this.#deps.clock.now(),
      positions: this.#instruments.map((i) => held.get(`${i.venue}:${i.symbol}`) ?? 0),
      free: this.#instruments.map((i) => [free.get(i.base) ?? 0, free.get(i.quote) ?? 0]),
    };
  }

  #record(outcome: CallOutcome): void {
    for (const l of outcome.logs) this.#pushLog({ time: l.time, level: l.level, message: l.message });
  }

  #log(level: StrategyLogLineView['level'], message: string): void {
    this.#pushLog({ time: this.#deps.clock.now(), level, message });
  }

  #pushLog(line: StrategyLogLineView): void {
    this.logs.push(line);
    if (this.logs.length > LOG_RING) this.logs.splice(0, this.logs.length - LOG_RING);
    this.#deps.onLog(this.row.id, line);
  }

  async #fail(outcome: Extract<CallOutcome, { ok: false }>): Promise<void> {
    await this.#stopFor(outcome.trap.code, outcome.trap.message);
  }

  /** Fails the deployment with `CODE: text`, the reason the dashboard shows. */
  async #stopFor(code: StrategyTrap['code'] | DeploymentStopCode, message: string): Promise<void> {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    const reason = `${code}: ${message}`;
    this.#log('error', `stopped: ${reason}`);
    await this.#setState('failed', reason);
    await this.stop(reason, 'failed');
  }

  /** #stopFor from outside the chain (an event arriving), where nobody awaits it. */
  #stopOver(code: DeploymentStopCode, message: string): void {
    this.#stopFor(code, message).catch((err: unknown) =>
      this.#deps.logger.error(
        { err, deployment: this.row.id },
        'stopping a deployment over its bounds failed',
      ),
    );
  }

  async #setState(state: DeploymentState, reason: string | null): Promise<void> {
    if (this.#state === state && this.#reason === reason) return;
    this.#state = state;
    this.#reason = reason;
    if (!this.#persist) return;
    // Stored in the order they happened: a strategy that fails right after it starts must not have its
    // `failed` overwritten by the `running` write still in flight.
    const write = this.#stateWrites.then(() => this.#deps.onState(this.row.id, state, reason));
    this.#stateWrites = write.catch(() => undefined);
    await write;
  }
}

interface Bounds {
  limits: DeploymentLimits;
  orderRate: TokenBucket;
  timerRate: TokenBucket;
  refused: WindowCounter;
}

function bounds(limits: DeploymentLimits, now: number): Bounds {
  return {
    limits,
    orderRate: new TokenBucket(limits.ordersPerSecond, limits.orderBurst, now),
    timerRate: new TokenBucket(limits.timersPerSecond, limits.timerBurst, now),
    refused: new WindowCounter(limits.maxRefusedOrders, limits.refusedWindowMs),
  };
}

/** An outage refusal's retry-after hint (`details.retryAfterSeconds`), in ms; at least 1 s. */
function retryAfterMs(err: unknown): number {
  const seconds = err instanceof AppError ? Number(err.details?.retryAfterSeconds) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 1 ? seconds * 1_000 : 1_000;
}

function stateError(state: DeploymentState, action: string): AppError {
  return new AppError('STRATEGY_STATE_CONFLICT', `The deployment is ${state}: it cannot be ${action}.`, {
    state,
  });
}
