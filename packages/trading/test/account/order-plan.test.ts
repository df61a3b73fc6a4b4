import { ManualClock } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { type MarketPrices, PaperBook, type PlanContext, planOrder } from '../../src/account/index.ts';
import type { OrderIntent } from '../../src/account/order-intent.ts';
import { depositPosting } from '../../src/ledger/index.ts';
import { type RiskContext, RiskEngine, resolveRiskLimits } from '../../src/risk/index.ts';

const u = (whole: number): bigint => BigInt(whole) * 10n ** 18n;
const TAKER = 10n ** 15n; // 0.1 %

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return {
    orderId: 'o1',
    accountId: 'acc',
    clientOrderId: null,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    timeInForce: 'GTC',
    postOnly: false,
    quantity: u(1),
    price: u(100),
    stopPrice: null,
    feeTier: 'default',
    ...over,
  };
}

function setup(usdt: number, prices: Partial<Record<keyof MarketPrices, bigint | null>> = {}) {
  const clock = new ManualClock(1_000);
  const book = new PaperBook();
  if (usdt > 0)
    book.apply(depositPosting({ id: 'd', accountId: 'acc', asset: 'USDT', amount: u(usdt), time: 0 }));
  const risk = new RiskEngine(clock);
  const riskContext = (): RiskContext => ({
    tenantId: 't',
    accountId: 'acc',
    limits: resolveRiskLimits('PRO', {}),
    killSwitch: { tenant: null, account: null },
    lastPrice: prices.last === undefined ? u(100) : prices.last,
    position: 0n,
    ...book.exposure('acc', 'binance', 'BTC-USDT'),
    equity: u(usdt),
    netTransfersToday: 0n,
  });
  const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({
    ledger: book.ledger,
    risk,
    riskContext: riskContext(),
    prices: {
      last: () => prices.last ?? null,
      ask: () => prices.ask ?? null,
      takerTop: () => prices.takerTop ?? null,
    },
    takerFeeRate: TAKER,
    maxSlippageBps: 50,
    time: clock.now(),
    ...over,
  });
  return { book, risk, ctx };
}

describe('planOrder', () => {
  it('returns the lock and the request without changing the book; apply books the lock', () => {
    const { book, ctx } = setup(1_000);
    const plan = planOrder(intent(), ctx());
    if (!plan.ok) throw new Error(plan.refusal.code);
    expect(book.ledger.order('o1')).toBeUndefined();
    expect(plan.request.quantity).toBe(u(1));
    book.apply(plan.lock);
    // 100 reserved plus the taker fee reserve on it.
    expect(book.ledger.balances('acc')).toEqual([
      { asset: 'USDT', free: u(900) - TAKER * 100n, locked: u(100) + TAKER * 100n },
    ]);
    expect(book.exposure('acc', 'binance', 'BTC-USDT')).toEqual({
      openOrders: 1,
      openBuyQuantity: u(1),
      openSellQuantity: 0n,
    });
  });

  it('refuses what the free balance cannot reserve with the ledger code, changing nothing', () => {
    const { book, ctx } = setup(50);
    const plan = planOrder(intent(), ctx());
    expect(plan.ok ? null : plan.refusal.code).toBe('LEDGER_INSUFFICIENT_FUNDS');
    expect(book.ledger.journal()).toHaveLength(1);
  });

  it('refuses a market buy while no price is known (MARKET_NO_DATA)', () => {
    const { ctx } = setup(1_000, { last: null });
    const plan = planOrder(intent({ type: 'market', price: null, timeInForce: 'IOC' }), ctx());
    expect(plan.ok ? null : plan.refusal.code).toBe('RISK_NO_REFERENCE_PRICE');
    const withLast = setup(1_000);
    const none = planOrder(intent({ type: 'market', price: null, timeInForce: 'IOC' }), withLast.ctx());
    expect(none.ok ? null : none.refusal.code).toBe('MARKET_NO_DATA');
  });

  it("sizes a market buy from the highest of last, ask and the matcher's top, plus the slippage cap", () => {
    const { ctx } = setup(1_000, { last: u(100), ask: u(101), takerTop: u(105) });
    const plan = planOrder(intent({ type: 'market', price: null, timeInForce: 'IOC' }), ctx());
    if (!plan.ok) throw new Error(plan.refusal.code);
    // 1 x 105 x (1 + 50 bps) = 105.525
    expect(plan.lock.order?.notionalCap).toBe(105_525n * 10n ** 15n);
  });

  it("an amend's check counts the replaced order's reservation as free and takes no order-rate slot", () => {
    const { book, risk, ctx } = setup(150);
    const first = planOrder(intent(), ctx());
    if (!first.ok) throw new Error(first.refusal.code);
    book.apply(first.lock);
    const held = book.ledger.order('o1');
    const used = risk.state('acc')?.perSecond.used(1_000);
    const next = intent({ orderId: 'o2', price: u(105) });
    expect(planOrder(next, ctx()).ok).toBe(false); // 105 does not fit beside the 100 still held
    const moved = planOrder(next, ctx({ releasing: (held?.notionalCap ?? 0n) + (held?.feeCap ?? 0n) }));
    expect(moved.ok).toBe(true);
    expect(risk.state('acc')?.perSecond.used(1_000)).toBe((used ?? 0) + 1); // only the refused plan's slot
  });
});
