import type { Clock } from '@qt/shared';
import {
  checkKillSwitch,
  checkOpenOrders,
  checkOrderNotional,
  checkPosition,
  checkPriceBand,
  checkReduceOnly,
  checkReferencePrice,
  referencePrice,
} from './checks.ts';
import { type RiskDecision, riskAccepted, riskRejected } from './codes.ts';
import type { RiskContext, RiskOrder } from './context.ts';
import { dailyLoss } from './daily-loss.ts';
import { amount, bpsOf } from './format.ts';
import { activeHalt } from './kill-switch.ts';
import { DAY_MS, RiskState, type RiskStateSnapshot, utcDay } from './risk-state.ts';
import type { RiskView } from './view.ts';

/**
 * Pre-trade risk. Every order, from a person, a script or a strategy, goes through `check` before it
 * reaches the matcher. The checks run in `riskCheckOrder`; the first failure rejects:
 *
 * 1. RISK_KILL_SWITCH        tenant, then account
 * 2. RISK_ORDER_RATE         per second, then per minute (an admitted order uses its slot even if a later
 *                            check rejects it: a script looping on rejected orders is throttled too)
 * 3. RISK_REDUCE_ONLY        after the daily loss went beyond its limit, until 00:00 UTC
 * 4. RISK_NO_REFERENCE_PRICE a market order with no last trade price
 * 5. RISK_PRICE_BAND         fat finger, before notional: a mistyped price is the likelier story
 * 6. RISK_MAX_ORDER_NOTIONAL
 * 7. RISK_MAX_POSITION
 * 8. RISK_MAX_OPEN_ORDERS
 *
 * No I/O and no wall clock: the caller passes the context, the clock is injected, and the only state is
 * the per-account `RiskState` held here (snapshot it to survive a restart).
 */
export class RiskEngine {
  readonly #clock: Clock;
  readonly #states = new Map<string, RiskState>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * `dryRun`: the same checks without taking a slot of the order-rate window (an amend asks before it
   * cancels; the placement that follows takes the one slot).
   */
  check(order: RiskOrder, ctx: RiskContext, dryRun = false): RiskDecision {
    const now = this.#clock.now();
    const state = this.#observe(ctx, now);

    const halted = checkKillSwitch(ctx);
    if (!halted.ok) return halted;

    const rate = this.#admit(state, now, dryRun);
    if (!rate.ok) return rate;

    const reduceOnly = checkReduceOnly(order, ctx, state.reduceOnly, dayEnd(now));
    if (!reduceOnly.ok) return reduceOnly;

    const reference = checkReferencePrice(order, ctx);
    if (!reference.ok) return reference;
    const price = referencePrice(order, ctx) ?? 0n;

    for (const decision of [
      checkPriceBand(order, ctx),
      checkOrderNotional(order, ctx, price),
      checkPosition(order, ctx, price),
      checkOpenOrders(order, ctx),
    ]) {
      if (!decision.ok) return decision;
    }
    return riskAccepted;
  }

  /** What the dashboard shows; also rolls the day and applies the daily-loss limit, like `check`. */
  view(ctx: RiskContext): RiskView {
    const now = this.#clock.now();
    const state = this.#observe(ctx, now);
    const halt = activeHalt(ctx.killSwitch);
    const dayStartEquity = state.dayStartEquity ?? ctx.equity;
    const loss = dailyLoss(ctx.equity, dayStartEquity, ctx.netTransfersToday, ctx.limits);
    const { limits } = ctx;
    const optional = (v: bigint | null) => (v === null ? null : amount(v));
    return {
      accountId: ctx.accountId,
      status: halt ? 'halted' : state.reduceOnly ? 'reduce_only' : 'active',
      halt,
      reduceOnly: state.reduceOnly && { ...state.reduceOnly, until: dayEnd(now) },
      limits: {
        maxOrderNotional: optional(limits.maxOrderNotional),
        maxPositionNotional: optional(limits.maxPositionNotional),
        maxOpenOrders: limits.maxOpenOrders,
        priceBandBps: limits.priceBandBps,
        maxDailyLossBps: limits.maxDailyLossBps,
        maxOrdersPerSecond: limits.maxOrdersPerSecond,
        maxOrdersPerMinute: limits.maxOrdersPerMinute,
      },
      usage: {
        ordersLastSecond: state.perSecond.used(now),
        ordersLastMinute: state.perMinute.used(now),
        openOrders: ctx.openOrders,
        equity: amount(ctx.equity),
        dayStartEquity: amount(dayStartEquity),
        dailyLoss: amount(loss.loss),
        dailyLossBps: loss.base > 0n ? bpsOf(loss.loss, loss.base) : 0,
      },
    };
  }

  /** The account's state, if the engine has seen it. */
  state(accountId: string): RiskState | undefined {
    return this.#states.get(accountId);
  }

  snapshot(accountId: string): RiskStateSnapshot | undefined {
    return this.#states.get(accountId)?.snapshot();
  }

  /** Puts back a state saved by `snapshot` (on engine start, before the account's first order). */
  restore(accountId: string, snapshot: RiskStateSnapshot, ctx: Pick<RiskContext, 'limits'>): void {
    this.#states.set(accountId, RiskState.restore(snapshot, ctx.limits));
  }

  /** Gets (or creates) the account's state, follows limit changes, rolls the day, applies daily loss. */
  #observe(ctx: RiskContext, now: number): RiskState {
    let state = this.#states.get(ctx.accountId);
    if (!state) {
      state = new RiskState(ctx.limits);
      this.#states.set(ctx.accountId, state);
    }
    state.applyLimits(ctx.limits);
    state.rollDay(now, ctx.equity, ctx.dayStartEquity);
    const loss = dailyLoss(ctx.equity, state.dayStartEquity ?? ctx.equity, ctx.netTransfersToday, ctx.limits);
    if (loss.breached) {
      state.enterReduceOnly({ cause: 'RISK_DAILY_LOSS', since: now, lossBps: bpsOf(loss.loss, loss.base) });
    }
    return state;
  }

  #admit(state: RiskState, now: number, dryRun: boolean): RiskDecision {
    for (const [window, per] of [
      [state.perSecond, 'second'],
      [state.perMinute, 'minute'],
    ] as const) {
      if (window.allows(now)) continue;
      const retryAfterMs = Math.max(0, Math.ceil(window.nextAllowedAt(now) - now));
      return riskRejected(
        'RISK_ORDER_RATE',
        `Too many orders: this account may send ${window.limit} per ${per}. Slow down; the next order is ` +
          `accepted in ${retryAfterMs} ms (scripts: wait for details.retryAfterMs).`,
        { limit: window.limit, windowMs: window.windowMs, retryAfterMs },
      );
    }
    if (dryRun) return riskAccepted;
    state.perSecond.record(now);
    state.perMinute.record(now);
    return riskAccepted;
  }
}

/** The next 00:00 UTC after `now`: when reduce-only ends. */
function dayEnd(now: number): number {
  return (utcDay(now) + 1) * DAY_MS;
}
