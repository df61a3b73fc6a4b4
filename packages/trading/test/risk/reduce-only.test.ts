import { describe, expect, it } from 'vitest';
import { context, engineAt, limitOrder, NEXT_MIDNIGHT, NOON, outcome, u } from './fixtures.ts';

// Day starts at 100 000 USDT; limit 10% => a loss of exactly 10 000 is allowed, one unit more is not.
const limits = { maxDailyLossBps: 1_000 };
const long = { position: u('50') };
const atEquity = (equity: string, extra = {}) =>
  context({ dayStartEquity: u('100000'), equity: u(equity), ...long, ...extra }, limits);

describe('RISK_DAILY_LOSS puts the account in reduce-only mode (RISK_REDUCE_ONLY)', () => {
  it('keeps trading at a loss exactly at the limit', () => {
    const { engine } = engineAt();
    expect(outcome(engine.check(limitOrder(), atEquity('90000')))).toBe('ok');
    expect(engine.view(atEquity('90000')).status).toBe('active');
  });

  it('rejects an order that would grow the position once the loss is one unit beyond the limit', () => {
    const { engine } = engineAt();
    const decision = engine.check(limitOrder(), atEquity('89999.999999999999999999'));
    expect(outcome(decision)).toBe('RISK_REDUCE_ONLY');
    if (decision.ok) return;
    expect(decision.rejection.details).toMatchObject({ cause: 'RISK_DAILY_LOSS', until: NEXT_MIDNIGHT });
    expect(decision.rejection.message).toBe(
      'This account is reduce-only until 2025-03-11T00:00:00.000Z: equity fell 10% since 00:00 UTC, beyond ' +
        'the 10% daily loss limit. Only orders that reduce a position are accepted (here: a sell of at most ' +
        '50 BTC); cancel open orders on the same side to make room.',
    );
  });

  it('accepts an order that reduces the position, and rejects one that would flip it', () => {
    const { engine } = engineAt();
    const ctx = atEquity('80000');
    expect(outcome(engine.check(limitOrder({ side: 'sell', quantity: u('50') }), ctx))).toBe('ok');
    expect(outcome(engine.check(limitOrder({ side: 'sell', quantity: u('50.1') }), ctx))).toBe(
      'RISK_REDUCE_ONLY',
    );
    expect(outcome(engine.check(limitOrder({ side: 'buy', quantity: u('0.1') }), ctx))).toBe(
      'RISK_REDUCE_ONLY',
    );
  });

  it('counts open orders on the same side against the room to reduce', () => {
    const { engine } = engineAt();
    const ctx = atEquity('80000', { openSellQuantity: u('45') });
    expect(outcome(engine.check(limitOrder({ side: 'sell', quantity: u('5') }), ctx))).toBe('ok');
    expect(outcome(engine.check(limitOrder({ side: 'sell', quantity: u('6') }), ctx))).toBe(
      'RISK_REDUCE_ONLY',
    );
  });

  it('lets a short be bought back', () => {
    const { engine } = engineAt();
    const ctx = atEquity('80000', { position: u('-3') });
    expect(outcome(engine.check(limitOrder({ side: 'buy', quantity: u('3') }), ctx))).toBe('ok');
    expect(outcome(engine.check(limitOrder({ side: 'sell', quantity: u('1') }), ctx))).toBe(
      'RISK_REDUCE_ONLY',
    );
  });

  it('stays reduce-only for the rest of the UTC day even if equity recovers', () => {
    const { clock, engine } = engineAt();
    engine.check(limitOrder(), atEquity('80000'));
    clock.set(NEXT_MIDNIGHT - 1);
    expect(outcome(engine.check(limitOrder(), atEquity('100000')))).toBe('RISK_REDUCE_ONLY');
    expect(engine.view(atEquity('100000'))).toMatchObject({
      status: 'reduce_only',
      reduceOnly: { cause: 'RISK_DAILY_LOSS', since: NOON, until: NEXT_MIDNIGHT, lossBps: 2_000 },
    });
  });

  it('resets at the next 00:00 UTC, measuring the new day from its own starting equity', () => {
    const { clock, engine } = engineAt();
    const own = (equity: string) => context({ equity: u(equity), ...long }, limits);
    engine.check(limitOrder(), own('100000')); // the engine's own snapshot: 100 000
    expect(outcome(engine.check(limitOrder(), own('85000')))).toBe('RISK_REDUCE_ONLY');
    clock.set(NEXT_MIDNIGHT);
    expect(outcome(engine.check(limitOrder(), own('85000')))).toBe('ok'); // new day starts at 85 000
    expect(engine.view(own('85000')).usage).toMatchObject({ dayStartEquity: '85000', dailyLoss: '0' });
    expect(outcome(engine.check(limitOrder(), own('76499')))).toBe('RISK_REDUCE_ONLY'); // 10% of 85 000 = 8 500
  });

  it('does not take a withdrawal for a loss, nor let a deposit hide one', () => {
    const { engine } = engineAt();
    const withdrew = atEquity('70000', { netTransfersToday: u('-25000') }); // lost 5 000 of 75 000
    expect(outcome(engine.check(limitOrder(), withdrew))).toBe('ok');
    const deposited = atEquity('105000', { netTransfersToday: u('20000') }); // lost 15 000 of 120 000
    expect(outcome(engine.check(limitOrder(), deposited))).toBe('RISK_REDUCE_ONLY');
  });

  it('never trips when the limit is off', () => {
    const { engine } = engineAt();
    const ctx = context({ dayStartEquity: u('100000'), equity: u('1') }, { maxDailyLossBps: null });
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('ok');
  });

  it('is reflected in the view as soon as equity is looked at, before any order', () => {
    const { engine } = engineAt();
    expect(engine.view(atEquity('85000'))).toMatchObject({
      status: 'reduce_only',
      usage: { dayStartEquity: '100000', equity: '85000', dailyLoss: '15000', dailyLossBps: 1_500 },
    });
  });
});

describe('lifting reduce-only by hand', () => {
  it('holds once the limit no longer applies, and re-enters while the loss is still beyond it', () => {
    const { engine } = engineAt();
    const ctx = atEquity('80000');
    engine.check(limitOrder(), ctx);
    engine.state(ctx.accountId)?.liftReduceOnly();
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('RISK_REDUCE_ONLY');
    engine.state(ctx.accountId)?.liftReduceOnly();
    const raised = { ...ctx, limits: { ...ctx.limits, maxDailyLossBps: 2_500 } };
    expect(outcome(engine.check(limitOrder(), raised))).toBe('ok');
  });
});
