import { errorStatus, type PlaceOrderInput, placeOrderInput } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { riskCheckOrder, riskRejectionToAppError } from '../../src/risk/codes.ts';
import { type RiskContext, riskOrderFromInput } from '../../src/risk/context.ts';
import { setKillSwitch } from '../../src/risk/kill-switch.ts';
import type { RiskLimitOverrides } from '../../src/risk/limits.ts';
import { RiskEngine } from '../../src/risk/risk-engine.ts';
import { riskViewSchema } from '../../src/risk/view.ts';
import { context, engineAt, limitOrder, NEXT_MIDNIGHT, NOON, outcome, u } from './fixtures.ts';

describe('RiskEngine', () => {
  it('runs the checks in the documented order and rejects with the first failure', () => {
    expect(riskCheckOrder).toEqual([
      'RISK_KILL_SWITCH',
      'RISK_ORDER_RATE',
      'RISK_REDUCE_ONLY',
      'RISK_NO_REFERENCE_PRICE',
      'RISK_PRICE_BAND',
      'RISK_MAX_ORDER_NOTIONAL',
      'RISK_MAX_POSITION',
      'RISK_MAX_OPEN_ORDERS',
    ]);
    // One order that fails every check; lift the checks one at a time, in order, and the next one answers.
    const { clock, engine } = engineAt();
    const order = limitOrder({ quantity: u('100'), price: u('150') }); // last price 100
    const halt = setKillSwitch({ halted: true, reason: 'test' }, 'admin', clock);
    const steps: [Partial<RiskContext>, RiskLimitOverrides][] = [
      [{ killSwitch: { tenant: halt, account: null } }, {}],
      [{ killSwitch: { tenant: null, account: null } }, {}],
      [{}, { maxOrdersPerSecond: 1_000 }],
      [{}, { maxDailyLossBps: null }],
      [{}, { priceBandBps: 10_000 }],
      [{}, { maxOrderNotional: null }],
      [{}, { maxPositionNotional: null }],
    ];
    let ctx: Partial<RiskContext> = { dayStartEquity: u('100000'), equity: u('1'), openOrders: 10 };
    let limits: RiskLimitOverrides = {
      maxOrdersPerSecond: 1,
      maxDailyLossBps: 100,
      priceBandBps: 500,
      maxOrderNotional: u('1000'),
      maxPositionNotional: u('1000'),
      maxOpenOrders: 10,
    };
    const seen: string[] = [];
    for (const [c, l] of steps) {
      ctx = { ...ctx, ...c, accountId: `account-${seen.length}` };
      limits = { ...limits, ...l };
      // Fill the account's one-per-second window first (without the kill switch, which would not count it).
      engine.check(order, context({ ...ctx, killSwitch: { tenant: null, account: null } }, limits));
      seen.push(outcome(engine.check(order, context(ctx, limits))));
    }
    expect(seen).toEqual(riskCheckOrder.filter((code) => code !== 'RISK_NO_REFERENCE_PRICE'));
    // A market order has no price to band: with no last price it stops between reduce-only and the band.
    const market = limitOrder({ type: 'market', timeInForce: 'IOC', price: null });
    const reduceOnly = context({ accountId: 'account-2', lastPrice: null }, { maxOrdersPerSecond: 1_000 });
    expect(outcome(engine.check(market, reduceOnly))).toBe('RISK_REDUCE_ONLY');
    expect(outcome(engine.check(market, { ...reduceOnly, accountId: 'fresh' }))).toBe(
      'RISK_NO_REFERENCE_PRICE',
    );
  });

  it('accepts an ordinary order', () => {
    expect(engineAt().engine.check(limitOrder(), context())).toEqual({ ok: true });
  });

  it('turns a rejection into an AppError with the same code, message and details', () => {
    const decision = engineAt().engine.check(limitOrder({ price: u('1000') }), context());
    if (decision.ok) throw new Error('expected a rejection');
    const error = riskRejectionToAppError(decision.rejection);
    expect(error.code).toBe('RISK_PRICE_BAND');
    expect(errorStatus(error.code)).toBe('BAD_REQUEST');
    expect(error.message).toBe(decision.rejection.message);
    expect(error.details).toEqual(decision.rejection.details);
  });

  it('maps every risk code to a transport status', () => {
    expect(
      Object.fromEntries([...riskCheckOrder, 'RISK_DAILY_LOSS' as const].map((c) => [c, errorStatus(c)])),
    ).toEqual({
      RISK_KILL_SWITCH: 'FORBIDDEN',
      RISK_ORDER_RATE: 'TOO_MANY_REQUESTS',
      RISK_REDUCE_ONLY: 'FORBIDDEN',
      RISK_NO_REFERENCE_PRICE: 'PRECONDITION_FAILED',
      RISK_PRICE_BAND: 'BAD_REQUEST',
      RISK_MAX_ORDER_NOTIONAL: 'BAD_REQUEST',
      RISK_MAX_POSITION: 'FORBIDDEN',
      RISK_MAX_OPEN_ORDERS: 'FORBIDDEN',
      RISK_DAILY_LOSS: 'FORBIDDEN',
    });
  });

  it('checks orders straight from the API input', () => {
    const input: PlaceOrderInput = placeOrderInput.parse({
      accountId: '7d4c3c1e-4a7e-4a59-9a55-1b4f3f0f6a11',
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'stop_limit',
      quantity: '0.5',
      price: '99.5',
      stopPrice: '100',
    });
    const order = riskOrderFromInput(input);
    expect(order).toEqual({
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'stop_limit',
      timeInForce: 'GTC',
      quantity: u('0.5'),
      price: u('99.5'),
      stopPrice: u('100'),
    });
    expect(engineAt().engine.check(order, context()).ok).toBe(true);
  });

  it('keeps reduce-only and recent orders across a restart through a snapshot', () => {
    const { clock, engine } = engineAt();
    const ctx = context({ dayStartEquity: u('100000'), equity: u('50000') }, { maxOrdersPerSecond: 2 });
    engine.check(limitOrder({ side: 'sell' }), { ...ctx, position: u('1') });
    const snapshot = engine.snapshot(ctx.accountId);
    if (!snapshot) throw new Error('expected a snapshot');
    const restarted = new RiskEngine(clock);
    restarted.restore(ctx.accountId, JSON.parse(JSON.stringify(snapshot)), ctx);
    const recovered = { ...ctx, equity: u('100000') };
    expect(restarted.view(recovered)).toMatchObject({
      status: 'reduce_only',
      usage: { ordersLastSecond: 1 },
    });
    expect(outcome(restarted.check(limitOrder(), recovered))).toBe('RISK_REDUCE_ONLY');
    expect(outcome(restarted.check(limitOrder(), recovered))).toBe('RISK_ORDER_RATE');
  });

  it('shows limits, usage and status in a view that the API schema accepts', () => {
    const { engine } = engineAt();
    const ctx = context(
      { openOrders: 3, dayStartEquity: u('100000'), equity: u('99000.5') },
      { maxOrderNotional: null },
    );
    engine.check(limitOrder(), ctx);
    engine.check(limitOrder(), ctx);
    const view = engine.view(ctx);
    expect(riskViewSchema.parse(view)).toEqual(view);
    expect(view).toEqual({
      accountId: 'account-1',
      status: 'active',
      halt: null,
      reduceOnly: null,
      limits: {
        maxOrderNotional: null,
        maxPositionNotional: '1000000',
        maxOpenOrders: 200,
        priceBandBps: 1_000,
        maxDailyLossBps: 2_000,
        maxOrdersPerSecond: 1_000,
        maxOrdersPerMinute: 10_000,
      },
      usage: {
        ordersLastSecond: 2,
        ordersLastMinute: 2,
        openOrders: 3,
        equity: '99000.5',
        dayStartEquity: '100000',
        dailyLoss: '999.5',
        dailyLossBps: 100,
      },
    });
  });

  it('reports reduce-only with when it ends', () => {
    const { engine } = engineAt();
    const view = engine.view(context({ dayStartEquity: u('100000'), equity: u('50000') }));
    expect(riskViewSchema.parse(view).reduceOnly).toEqual({
      cause: 'RISK_DAILY_LOSS',
      since: NOON,
      until: NEXT_MIDNIGHT,
      lossBps: 5_000,
    });
  });
});
